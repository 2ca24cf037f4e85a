/**
 * A delivery that outlasts its lease (slow backend, many pieces) keeps its claim while it runs:
 * the worker's next passes do not claim the event again, so no piece is stored twice. Found by
 * `bun run bench:faults` with slow answers: the inline attempt went on after its lease expired, a
 * worker pass reclaimed the row, and both attempts stored the conversation at the same time.
 */
import { afterEach, describe, expect, it } from 'bun:test';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { sql } from 'drizzle-orm';
import { sleep } from '../helpers/wait.ts';
import { type Harness, harness, openMemoryFake, tempDir } from './harness.ts';
import { transcription } from './payloads.ts';

const om = openMemoryFake();
let h: Harness | undefined;

afterEach(async () => {
  om.fake.faults.clear();
  await h?.close();
  h = undefined;
});

describe('delivery lease', () => {
  it('is renewed while a slow delivery runs, so the event is not claimed and stored twice', async () => {
    h = await harness({
      config: {
        memory: om.memoryConfig(),
        agentMemory: { delivery: { inlineBudgetMs: 20, leaseMs: 150, pollIntervalMs: 60000 } },
      },
    });
    // Every add takes 120 ms: the conversation's pieces take several leases to store.
    om.fake.faults.always({
      kind: 'delay',
      ms: 120,
      match: (m, p) => m === 'POST' && p === '/memory/add',
    });
    const body = transcription({
      conversationId: 'conv_slow',
      summary: 'The caller asked to move the piano delivery from Tuesday to Thursday morning.',
      userSays: [
        'My piano is due on Tuesday but nobody will be home, can it come on Thursday morning instead?',
        'Also the stairs are narrow, please bring the small trolley and two people for the piano.',
      ],
    });
    const answer = await (await h.postCall(body)).json();
    expect(answer.status).toBe('queued');

    const reclaimed: number[] = [];
    const rowOf = () =>
      h!.core.db.all<{ status: string }>(
        sql`SELECT status FROM agent_memory_events WHERE conversation_id = 'conv_slow'`,
      )[0]!;
    for (let i = 0; i < 40 && rowOf().status === 'delivering'; i++) {
      await sleep(50);
      reclaimed.push(await h.service.worker.tick());
    }
    await h.service.settled();

    expect(reclaimed.every((n) => n === 0)).toBe(true);
    expect(reclaimed.length).toBeGreaterThan(5); // the delivery did outlast several leases
    expect(rowOf().status).toBe('delivered');
    const keys = [...om.fake.store.memories.values()]
      .map((m) => m.metadata)
      .filter((m) => m.conversation_id === 'conv_slow')
      .map((m) => `${m.kind}:${m.seq}`);
    expect(keys.length).toBeGreaterThan(2);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('keeps renewing after a renewal fails because the database is busy', async () => {
    const dir = await tempDir();
    const dbPath = join(dir, 'busy.db');
    h = await harness({
      dbPath,
      config: {
        memory: om.memoryConfig(),
        database: { busyTimeoutMs: 0 },
        agentMemory: { delivery: { inlineBudgetMs: 20, leaseMs: 300, pollIntervalMs: 60000 } },
      },
    });
    om.fake.faults.always({ kind: 'delay', ms: 700, match: (m, p) => m === 'POST' && p === '/memory/add' });
    const answer = await h.postCall(transcription({ conversationId: 'conv_busy_lease' }));
    expect((await answer.json()).status).toBe('queued');
    // Another connection holds the write lock across one renewal (every 100 ms): it fails, busy.
    const other = new DatabaseSync(dbPath);
    other.exec('BEGIN IMMEDIATE');
    await sleep(150);
    other.exec('COMMIT');
    other.close();
    await h.service.settled();
    const notRenewed = h.logs.filter((l) => l.msg?.startsWith('delivery lease not renewed'));
    expect(notRenewed.length).toBeGreaterThan(0);
    expect(h.logs.some((l) => l.msg?.startsWith('delivery lease lost'))).toBe(false);
    const [row] = h.core.db.all<{ status: string; attempts: number }>(
      sql`SELECT status, attempts FROM agent_memory_events WHERE conversation_id = 'conv_busy_lease'`,
    );
    expect(row).toEqual({ status: 'delivered', attempts: 1 });
    await rm(dir, { recursive: true, force: true });
  });
});
