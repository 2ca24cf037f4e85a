/** With encryption at rest, the payload waiting in the delivery queue is a Fernet token, not the transcript. */
import { afterEach, describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { manualClock } from '../../src/clock.ts';
import { type Harness, harness, openMemoryFake } from './harness.ts';
import { transcription } from './payloads.ts';

const KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
const om = openMemoryFake();
const clock = manualClock(Date.UTC(2026, 0, 1));
let h: Harness;

afterEach(async () => {
  om.fake.faults.clear();
  await h?.close();
});

describe('the queued payload at rest', () => {
  it('is sealed with the storage key while it waits, and still delivered once the backend is back', async () => {
    h = await harness({
      clock,
      config: {
        memory: om.memoryConfig(),
        storage: { encryptionEnabled: true, encryptionKey: KEY },
        agentMemory: { delivery: { baseDelayMs: 1000, maxDelayMs: 1000, jitter: 0 } },
      },
    });
    om.fake.faults.always({ kind: 'status', status: 503 });
    const body = transcription({ conversationId: 'conv_sealed', summary: 'Wants the violet umbrella back.' });
    expect((await (await h.postCall(body)).json()).status).toBe('queued');
    const [queued] = h.core.db.all<{ payload: string }>(
      sql`SELECT p.payload FROM agent_memory_events e JOIN agent_memory_event_payloads p ON p.event_id = e.id WHERE e.conversation_id = 'conv_sealed'`,
    );
    expect(queued!.payload.startsWith('gAAAAA')).toBe(true);
    expect(queued!.payload).not.toContain('violet umbrella');

    om.fake.faults.clear();
    await h.service.worker.drain({ advance: (to) => clock.set(to) });
    const [row] = h.core.db.all<{ status: string }>(
      sql`SELECT status FROM agent_memory_events WHERE conversation_id = 'conv_sealed'`,
    );
    expect(row!.status).toBe('delivered');
    const stored = [...om.fake.store.memories.values()].map((m: any) => m.content).join(' ');
    expect(stored).toContain('violet umbrella');
  });

  it('prunes finished events past the retention, hourly, and never a pending one', async () => {
    h = await harness({
      clock,
      config: { memory: om.memoryConfig(), agentMemory: { delivery: { retentionDays: 1 } } },
    });
    await h.postCall(transcription({ conversationId: 'conv_old' }));
    om.fake.faults.always({ kind: 'status', status: 503 });
    await h.postCall(transcription({ conversationId: 'conv_waiting' }));
    const statuses = () =>
      h.core.db.all<{ conversation_id: string; status: string }>(
        sql`SELECT conversation_id, status FROM agent_memory_events ORDER BY conversation_id`,
      );
    expect(statuses()).toEqual([
      { conversation_id: 'conv_old', status: 'delivered' },
      { conversation_id: 'conv_waiting', status: 'pending' },
    ]);
    await h.service.worker.tick();
    expect(statuses().length).toBe(2);
    clock.advance(86_400_000 + 1);
    await h.service.worker.tick();
    expect(statuses()).toEqual([{ conversation_id: 'conv_waiting', status: 'pending' }]);
    // The pruned event's payload went with it.
    expect(h.core.db.all(sql`SELECT event_id FROM agent_memory_event_payloads`)).toEqual(
      h.core.db.all(sql`SELECT id AS event_id FROM agent_memory_events`),
    );
    expect(h.logs.findLast((l) => l.msg === 'old events pruned')).toMatchObject({
      deleted: 1,
      retention_days: 1,
    });
  });

  it('stays plain JSON when encryption is off', async () => {
    h = await harness({ clock, config: { memory: om.memoryConfig() } });
    await h.postCall(transcription({ conversationId: 'conv_plain' }));
    const [row] = h.core.db.all<{ payload: string }>(
      sql`SELECT p.payload FROM agent_memory_events e JOIN agent_memory_event_payloads p ON p.event_id = e.id WHERE e.conversation_id = 'conv_plain'`,
    );
    expect(JSON.parse(row!.payload).data.conversation_id).toBe('conv_plain');
  });
});
