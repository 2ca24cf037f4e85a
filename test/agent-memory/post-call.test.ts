import { afterEach, describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { type Harness, harness } from './harness.ts';
import { transcription } from './payloads.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('POST /webhooks/post-call', () => {
  it('stores a transcription in memory and answers received with the memory id', async () => {
    h = await harness();
    const response = await h.postCall(transcription({ conversationId: 'conv_a1' }));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.status).toBe('received');
    expect(typeof body.memory_id).toBe('string');
    const rows = h.core.db.all<{ status: string; user_id: string; user_id_source: string }>(
      sql`SELECT status, user_id, user_id_source FROM agent_memory_events`,
    );
    expect(rows).toEqual([
      {
        status: 'delivered',
        user_id: '+15550000001',
        user_id_source: 'conversation_initiation_client_data.dynamic_variables.system__caller_id',
      },
    ]);
    const logged = h.logs.find((l) => l.msg === 'post-call user id resolved');
    expect(logged?.user_id_source).toBe(
      'conversation_initiation_client_data.dynamic_variables.system__caller_id',
    );
  });

  it('refuses a bad signature with 401 and stores nothing', async () => {
    h = await harness();
    const response = await h.request('/webhooks/post-call', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'elevenlabs-signature': 't=1,v0=00' },
      body: JSON.stringify(transcription()),
    });
    expect(response.status).toBe(401);
    expect(h.core.db.all(sql`SELECT id FROM agent_memory_events`)).toEqual([]);
  });

  it('answers 400 for a signed body that is not a webhook', async () => {
    h = await harness();
    const response = await h.postCall({ type: 'post_call_transcription', data: {} });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ detail: 'Missing conversation_id' });
  });
});
