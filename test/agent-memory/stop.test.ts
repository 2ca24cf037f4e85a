/**
 * Graceful stop: the worker waits for the deliveries it is running (inline ones that outlived their
 * budget, worker passes) before it releases its claims. Releasing a claim under a running delivery
 * lets another process claim the event and store it at the same time.
 */
import { afterEach, describe, expect, it } from 'bun:test';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { sleep, waitUntil } from '../helpers/wait.ts';
import { type Harness, harness, openMemoryFake, tempDir } from './harness.ts';
import { transcription } from './payloads.ts';

const om = openMemoryFake();
const open: Harness[] = [];
const dirs: string[] = [];

afterEach(async () => {
  om.fake.faults.clear();
  for (const h of open.splice(0)) await h.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function start(options: { dbPath?: string; delivery?: Record<string, unknown> } = {}) {
  const h = await harness({
    dbPath: options.dbPath,
    config: {
      memory: om.memoryConfig(),
      agentMemory: { delivery: { inlineBudgetMs: 20, pollIntervalMs: 60000, ...options.delivery } },
    },
  });
  open.push(h);
  return h;
}

interface Row {
  status: string;
  lease_owner: string | null;
  attempts: number;
}

function rowOf(h: Harness, conversationId: string): Row {
  return h.core.db.all<Row>(sql`
    SELECT status, lease_owner, attempts FROM agent_memory_events WHERE conversation_id = ${conversationId}`)[0]!;
}

/** Every add answers after `ms`. */
function slowAdds(ms: number) {
  om.fake.faults.always({ kind: 'delay', ms, match: (m, p) => m === 'POST' && p === '/memory/add' });
}

const addsFor = (conversationId: string) =>
  om.fake.requests.filter(
    (r) =>
      r.path === '/memory/add' &&
      (r.body as { metadata?: { conversation_id?: string } })?.metadata?.conversation_id === conversationId,
  ).length;

/** Polls the row until `stopping` settles; returns every state seen meanwhile. */
async function watch(h: Harness, conversationId: string, stopping: Promise<void>): Promise<Row[]> {
  let done = false;
  stopping.then(() => {
    done = true;
  });
  const seen: Row[] = [];
  while (!done) {
    seen.push(rowOf(h, conversationId));
    await sleep(10);
  }
  return seen;
}

describe('stopping the delivery worker', () => {
  it('waits for an inline delivery that outlived its budget before releasing its claim', async () => {
    const h = await start();
    slowAdds(150);
    const answer = await (await h.postCall(transcription({ conversationId: 'conv_stop_inline' }))).json();
    expect(answer.status).toBe('queued');
    expect(rowOf(h, 'conv_stop_inline').status).toBe('delivering');

    const stopping = h.service.stop();
    const seen = await watch(h, 'conv_stop_inline', stopping);
    // Never handed back while the delivery ran: 'delivering' under our lease, then 'delivered'.
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.every((r) => r.status === 'delivering' || r.status === 'delivered')).toBe(true);
    expect(seen.filter((r) => r.status === 'delivering').every((r) => r.lease_owner !== null)).toBe(true);
    const after = rowOf(h, 'conv_stop_inline');
    expect(after.status).toBe('delivered');
    expect(after.attempts).toBe(1);
  });

  it('waits for a worker pass in flight', async () => {
    const h = await start({ delivery: { inlineBudgetMs: 0, pollIntervalMs: 5 } });
    slowAdds(150);
    expect(
      (await (await h.postCall(transcription({ conversationId: 'conv_stop_worker' }))).json()).status,
    ).toBe('queued');
    h.service.start();
    await waitUntil(() => rowOf(h, 'conv_stop_worker').status === 'delivering', {
      withinMs: 500,
      everyMs: 5,
    });
    expect(rowOf(h, 'conv_stop_worker').status).toBe('delivering');
    const stopping = h.service.stop();
    const seen = await watch(h, 'conv_stop_worker', stopping);
    expect(seen.every((r) => r.status === 'delivering' || r.status === 'delivered')).toBe(true);
    expect(rowOf(h, 'conv_stop_worker').status).toBe('delivered');
  });

  it('leaves the event to nobody else while it finishes: another process never stores it concurrently', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const dbPath = join(dir, 'shared.db');
    const a = await start({ dbPath });
    const b = await start({ dbPath, delivery: { pollIntervalMs: 5 } });
    slowAdds(150);
    const body = transcription({
      conversationId: 'conv_stop_shared',
      callerId: '+15550007001',
      summary: 'The caller wants the boiler service moved to next Friday afternoon.',
    });
    const answer = await (await a.postCall(body)).json();
    expect(answer.status).toBe('queued');

    b.service.start(); // the other process polls every 5 ms while the first one stops
    await a.service.stop();
    await sleep(50);
    await b.service.stop();

    const row = rowOf(b, 'conv_stop_shared');
    expect(row.status).toBe('delivered');
    expect(row.attempts).toBe(1);
    const keys = [...om.fake.store.memories.values()]
      .map((m) => m.metadata)
      .filter((m) => m.conversation_id === 'conv_stop_shared')
      .map((m) => `${m.kind}:${m.seq}`);
    // One attempt reached the backend (the other process never claimed it): each piece added once.
    expect(keys.length).toBeGreaterThan(0);
    expect(new Set(keys).size).toBe(keys.length);
    expect(addsFor('conv_stop_shared')).toBe(keys.length);
  });

  it('claims nothing new once stopping: a post-call during the stop is answered queued and left pending', async () => {
    const h = await start();
    slowAdds(150);
    await h.postCall(transcription({ conversationId: 'conv_stop_first' }));
    const stopping = h.service.stop();
    const answer = await (await h.postCall(transcription({ conversationId: 'conv_stop_late' }))).json();
    expect(answer.status).toBe('queued');
    await stopping;
    expect(rowOf(h, 'conv_stop_first').status).toBe('delivered');
    const late = rowOf(h, 'conv_stop_late');
    expect(late.status).toBe('pending');
    expect(late.lease_owner).toBeNull();
    expect(late.attempts).toBe(0);
  });
});
