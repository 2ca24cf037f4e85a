import { afterEach, describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { manualClock } from '../../src/clock.ts';
import { type Harness, harness, openMemoryFake } from './harness.ts';
import { transcription } from './payloads.ts';

const om = openMemoryFake();
let h: Harness;
const clock = manualClock(Date.UTC(2026, 0, 1));
const adds = () => om.fake.requests.filter((r) => r.path === '/memory/add' && !r.fault).length;

afterEach(async () => {
  om.fake.faults.clear();
  await h?.close();
});

function start(delivery: Record<string, unknown> = {}) {
  return harness({
    clock,
    config: {
      memory: om.memoryConfig(),
      resilience: { breakerThreshold: 1000 },
      agentMemory: { delivery: { baseDelayMs: 1000, maxDelayMs: 8000, jitter: 0, ...delivery } },
    },
  });
}

function row(h: Harness, conversationId: string) {
  return h.core.db.all<Record<string, any>>(
    sql`SELECT * FROM agent_memory_events WHERE conversation_id = ${conversationId}`,
  );
}

describe('durable delivery to the memory backend', () => {
  it('stores a byte-identical redelivery once and answers it like the first', async () => {
    h = await start();
    const body = transcription({
      conversationId: 'conv_dup',
      summary: 'Asked for the opening hours of the Lyon shop.',
    });
    const first = await (await h.postCall(body, 1767225600)).json();
    await h.service.settled();
    const before = adds();
    const again = await h.postCall(body, 1767225600);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(first);
    await h.service.settled();
    expect(adds()).toBe(before);
    expect(row(h, 'conv_dup').length).toBe(1);
  });

  it('answers queued while the backend is down and retries with backoff until it is back', async () => {
    h = await start();
    om.fake.faults.always({ kind: 'status', status: 503 });
    const response = await h.postCall(transcription({ conversationId: 'conv_down' }));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.status).toBe('queued');
    const [queued] = row(h, 'conv_down');
    expect(queued!.id).toBe(body.event_id);
    expect(queued!.status).toBe('pending');
    expect(queued!.attempts).toBe(1);
    expect(queued!.next_attempt_at - clock.now()).toBe(1000);
    expect(queued!.last_error).toContain('503');

    expect(await h.service.worker.tick()).toBe(0);
    clock.advance(1000);
    expect(await h.service.worker.tick()).toBe(1);
    expect(row(h, 'conv_down')[0]!.next_attempt_at - clock.now()).toBe(2000);
    clock.advance(2000);
    await h.service.worker.tick();
    expect(row(h, 'conv_down')[0]!.next_attempt_at - clock.now()).toBe(4000);

    om.fake.faults.clear();
    await h.service.worker.drain({ advance: (to) => clock.set(to) });
    const [delivered] = row(h, 'conv_down');
    expect(delivered!.status).toBe('delivered');
    expect(delivered!.attempts).toBe(4);
    expect(typeof delivered!.memory_id).toBe('string');
  });

  it('dead-letters a permanent refusal with the reason, and replays it on demand', async () => {
    h = await start();
    om.fake.faults.always({
      kind: 'status',
      status: 400,
      body: { error: 'invalid_input' },
      match: (m) => m === 'POST',
    });
    const response = await h.postCall(transcription({ conversationId: 'conv_dead' }));
    expect(await response.json()).toMatchObject({ status: 'dead_letter' });
    const [dead] = row(h, 'conv_dead');
    expect(dead!.status).toBe('dead');
    expect(dead!.last_error).toContain('400');
    clock.advance(3_600_000);
    expect(await h.service.worker.tick()).toBe(0);

    om.fake.faults.clear();
    expect(h.service.replay({ dead: true })).toEqual([dead!.id]);
    await h.service.worker.drain();
    expect(row(h, 'conv_dead')[0]!.status).toBe('delivered');
  });

  it('answers queued when the backend is slower than the budget, and the delivery still completes', async () => {
    h = await start({ inlineBudgetMs: 50 });
    om.fake.faults.push({ kind: 'delay', ms: 400 });
    const response = await h.postCall(transcription({ conversationId: 'conv_slow' }));
    expect((await response.json()).status).toBe('queued');
    for (let i = 0; i < 100 && row(h, 'conv_slow')[0]!.status !== 'delivered'; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(row(h, 'conv_slow')[0]!.status).toBe('delivered');
    expect(row(h, 'conv_slow')[0]!.attempts).toBe(1);
  });

  it('reclaims an event whose worker died holding its lease, once the lease expires', async () => {
    h = await start();
    om.fake.faults.always({ kind: 'status', status: 503 });
    await h.postCall(transcription({ conversationId: 'conv_lease' }));
    om.fake.faults.clear();
    const id = row(h, 'conv_lease')[0]!.id;
    h.core.db.run(sql`UPDATE agent_memory_events SET status = 'delivering', lease_owner = 'dead-worker',
      lease_expires_at = ${clock.now() + 60000}, next_attempt_at = ${clock.now()} WHERE id = ${id}`);
    expect(await h.service.worker.tick()).toBe(0);
    clock.advance(60000);
    expect(await h.service.worker.tick()).toBe(1);
    expect(row(h, 'conv_lease')[0]!.status).toBe('delivered');
  });

  it('answers 500 only when the event could not be persisted', async () => {
    h = await start();
    h.core.db.$client.exec('DROP TABLE agent_memory_events');
    const response = await h.postCall(transcription({ conversationId: 'conv_nodb' }));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ detail: 'Failed to store memory' });
  });
});
