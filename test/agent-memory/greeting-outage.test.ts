/**
 * The caller's greeting and summary come from every committed conversation, not only from those the
 * memory backend accepted: while the backend is down, a caller who calls back is greeted for the
 * call they just made, and erasing them still leaves no greeting behind.
 */
import { afterEach, describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { ADMIN_KEY, type Harness, harness, openMemoryFake } from './harness.ts';
import { transcription } from './payloads.ts';

const om = openMemoryFake();
let h: Harness;
const CALLER = '+15550000066';

afterEach(async () => {
  om.fake.faults.clear();
  await h?.close();
});

function callerRows() {
  return h.core.db.all<{ greeting: string; summary: string; conversations: number }>(
    sql`SELECT greeting, summary, conversations FROM agent_memory_callers WHERE user_id = ${CALLER}`,
  );
}

describe('greeting while the memory backend is down', () => {
  it('greets the returning caller for the call the backend has not taken yet', async () => {
    h = await harness({ config: { memory: om.memoryConfig() } });
    om.fake.faults.always({ kind: 'status', status: 503 });
    const body = transcription({
      conversationId: 'conv_outage',
      callerId: CALLER,
      name: 'Imogen',
      title: 'Lost luggage claim',
      summary: 'Reported a lost suitcase on the Lisbon flight.',
    });
    expect((await (await h.postCall(body)).json()).status).toBe('queued');
    await h.service.settled();

    const [row] = callerRows();
    expect(row!.greeting).toContain('Imogen');
    expect(row!.greeting.toLowerCase()).toContain('lost luggage claim');
    expect(row!.conversations).toBe(1);
    const [event] = h.core.db.all<{ status: string }>(
      sql`SELECT status FROM agent_memory_events WHERE conversation_id = 'conv_outage'`,
    );
    expect(event!.status).toBe('pending');

    const answer = await (
      await h.webhook('/webhooks/client-data', {
        caller_id: CALLER,
        agent_id: 'agent_test',
        call_sid: 'CA66',
      })
    ).json();
    expect(answer.dynamic_variables.user_context).toContain('Lisbon');
  });

  it('leaves no greeting behind when the caller is erased after such a call', async () => {
    h = await harness({ config: { memory: om.memoryConfig() } });
    om.fake.faults.always({
      kind: 'status',
      status: 503,
      match: (m, p) => m === 'POST' && p === '/memory/add',
    });
    await h.postCall(
      transcription({ conversationId: 'conv_outage_erased', callerId: CALLER, name: 'Imogen' }),
    );
    const erased = await h.request(`/api/users/${encodeURIComponent(CALLER)}/memories`, {
      method: 'DELETE',
      headers: { 'x-api-key': ADMIN_KEY },
    });
    expect(erased.status).toBe(200);
    await h.service.settled();
    expect(callerRows()).toEqual([]);
  });
});
