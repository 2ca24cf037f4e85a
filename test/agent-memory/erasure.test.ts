import { afterEach, describe, expect, it } from 'bun:test';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { ADMIN_KEY, type Harness, harness, openMemoryFake, WEBHOOK_KEY } from './harness.ts';
import { audio, transcription } from './payloads.ts';

const om = openMemoryFake();
let h: Harness;
afterEach(async () => {
  om.fake.faults.clear();
  await h?.close();
});

const A = '+15550000001';
const B = '+15550000002';

function erase(userId: string, key = ADMIN_KEY) {
  return h.request(`/api/users/${encodeURIComponent(userId)}/memories`, {
    method: 'DELETE',
    headers: { 'x-api-key': key },
  });
}

describe('DELETE /api/users/{user_id}/memories (right to erasure)', () => {
  it("removes the caller's memories, events, greeting and files, and says how many", async () => {
    h = await harness();
    await h.postCall(
      transcription({ conversationId: 'conv_a1', callerId: A, summary: 'Asked about the gym pass.' }),
    );
    await h.postCall(audio('conv_a1', 'agent_test', Buffer.from('mp3').toString('base64')));
    await h.postCall(
      transcription({ conversationId: 'conv_b1', callerId: B, summary: 'Asked about the gym pass too.' }),
    );
    await h.service.settled();

    const response = await erase(A);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.user_id).toBe(A);
    expect(body.memories_deleted).toBeGreaterThan(0);
    expect(body.events_deleted).toBe(2);
    expect(body.greetings_deleted).toBe(1);
    expect(body.files_deleted).toBe(2);

    const left = h.core.db.all<{ conversation_id: string }>(
      sql`SELECT conversation_id FROM agent_memory_events`,
    );
    expect(left).toEqual([{ conversation_id: 'conv_b1' }]);
    // Their payloads (the transcripts) went with them.
    const payloads = h.core.db.all<{ payload: string }>(sql`SELECT payload FROM agent_memory_event_payloads`);
    expect(payloads).toHaveLength(1);
    expect(payloads[0]!.payload).toContain('conv_b1');
    const files = (await readdir(join(h.dir, 'webhooks'), { recursive: true })).map(String);
    expect(files.some((f) => f.includes('conv_a1'))).toBe(false);
    expect(files.some((f) => f.includes('conv_b1'))).toBe(true);

    const search = await h.webhook('/webhooks/search-data', { query: 'gym pass', user_id: A });
    expect((await search.json()).memories_found).toBe(0);
    const other = await h.webhook('/webhooks/search-data', { query: 'gym pass', user_id: B });
    expect((await other.json()).memories_found).toBeGreaterThan(0);
  });

  it('needs the admin key, not the webhook key', async () => {
    h = await harness();
    expect((await erase(A, WEBHOOK_KEY)).status).toBe(401);
    expect((await erase(A, 'nope')).status).toBe(401);
  });

  it('leaves nothing behind when a delivery of the caller was in flight (slow backend)', async () => {
    const caller = '+15550000077';
    h = await harness({
      config: {
        memory: om.memoryConfig(),
        agentMemory: { delivery: { inlineBudgetMs: 20, pollIntervalMs: 60000 } },
      },
    });
    om.fake.faults.always({ kind: 'delay', ms: 300, match: (m, p) => m === 'POST' && p === '/memory/add' });
    const answer = await h.postCall(
      transcription({
        conversationId: 'conv_erase_inflight',
        callerId: caller,
        summary: 'Asked to move the piano lesson from Tuesday to Thursday evening.',
        name: 'Ottilie',
      }),
    );
    expect((await answer.json()).status).toBe('queued');
    // The inline attempt goes on after the 20 ms answer; erase once its first add reached the
    // backend (which holds it 300 ms), so the erasure meets a delivery in flight.
    const adding = () => om.fake.requests.filter((r) => r.path === '/memory/add').length;
    for (let i = 0; i < 50 && adding() === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(adding()).toBeGreaterThan(0);

    const response = await erase(caller);
    expect(response.status).toBe(200);
    await h.service.settled();

    const greetings = h.core.db.all(sql`SELECT * FROM agent_memory_callers WHERE user_id = ${caller}`);
    expect(greetings).toEqual([]);
    const held = [...om.fake.store.memories.values()].filter((m) => m.user_id?.includes(caller));
    expect(held).toEqual([]);
    const events = h.core.db.all(sql`SELECT id FROM agent_memory_events WHERE user_id = ${caller}`);
    expect(events).toEqual([]);
  });

  it('answers 503 and deletes nothing when the memory backend refuses', async () => {
    h = await harness({ config: { memory: om.memoryConfig() } });
    await h.postCall(
      transcription({ conversationId: 'conv_keep', callerId: A, summary: 'Asked about the gym pass.' }),
    );
    await h.service.settled();
    const eventsBefore = h.core.db.all(sql`SELECT id FROM agent_memory_events WHERE user_id = ${A}`);
    expect(eventsBefore.length).toBe(1);
    om.fake.faults.always({ kind: 'status', status: 503 });

    const response = await erase(A);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ detail: 'Memory backend unavailable; nothing was deleted' });

    om.fake.faults.clear();
    expect(h.core.db.all(sql`SELECT id FROM agent_memory_events WHERE user_id = ${A}`)).toEqual(eventsBefore);
    expect(h.core.db.all(sql`SELECT user_id FROM agent_memory_callers WHERE user_id = ${A}`).length).toBe(1);
    const files = (await readdir(join(h.dir, 'webhooks'), { recursive: true })).map(String);
    expect(files.some((f) => f.includes('conv_keep'))).toBe(true);
    const held = [...om.fake.store.memories.values()].filter((m) => m.user_id?.includes(A));
    expect(held.length).toBeGreaterThan(0);
  });

  it('erases audio still waiting for its transcription with the conversation', async () => {
    h = await harness();
    // Audio alone carries no caller id: its events are filed under the conversation id.
    await h.postCall(audio('conv_waiting_erase', 'agent_test', Buffer.from('mp3').toString('base64')));
    expect(h.core.db.all(sql`SELECT conversation_id FROM agent_memory_audio`).length).toBe(1);
    const response = await erase('conv_waiting_erase');
    expect(response.status).toBe(200);
    expect((await response.json()).files_deleted).toBe(1);
    expect(h.core.db.all(sql`SELECT conversation_id FROM agent_memory_audio`)).toEqual([]);
  });
});
