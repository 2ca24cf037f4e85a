/**
 * Right to erasure with several processes on one database (WORKERS=N): a delivery of the caller
 * running in another process is waited for before the backend is emptied, so what it stores is
 * erased too; and no process starts delivering the caller's events while the erasure runs.
 */
import { afterEach, describe, expect, it } from 'bun:test';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { ADMIN_KEY, type Harness, harness, openMemoryFake, tempDir } from './harness.ts';
import { transcription } from './payloads.ts';

const om = openMemoryFake();
const open: Harness[] = [];
const dirs: string[] = [];
const CALLER = '+15550000088';

afterEach(async () => {
  om.fake.faults.clear();
  for (const h of open.splice(0)) await h.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function start(dbPath: string) {
  const h = await harness({
    dbPath,
    config: {
      memory: om.memoryConfig(),
      agentMemory: { delivery: { inlineBudgetMs: 20, pollIntervalMs: 60000 } },
    },
  });
  open.push(h);
  return h;
}

/** Two instances on one database file, as WORKERS=2 runs them. */
async function twoProcesses(): Promise<[Harness, Harness]> {
  const dir = await tempDir();
  dirs.push(dir);
  const dbPath = join(dir, 'shared.db');
  return [await start(dbPath), await start(dbPath)];
}

describe('erasure across processes sharing the database', () => {
  it("waits for another process's delivery of the caller, then erases what it stored", async () => {
    const [a, b] = await twoProcesses();
    om.fake.faults.always({ kind: 'delay', ms: 400, match: (m, p) => m === 'POST' && p === '/memory/add' });
    const body = transcription({
      conversationId: 'conv_erase_shared',
      callerId: CALLER,
      summary: 'Asked to cancel the Thursday cello lesson.',
    });
    expect((await (await a.postCall(body)).json()).status).toBe('queued');
    const adds = () => om.fake.requests.filter((r) => r.path === '/memory/add').length;
    for (let i = 0; i < 50 && adds() === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(adds()).toBeGreaterThan(0); // a's delivery is in flight

    const erased = await b.request(`/api/users/${encodeURIComponent(CALLER)}/memories`, {
      method: 'DELETE',
      headers: { 'x-api-key': ADMIN_KEY },
    });
    expect(erased.status).toBe(200);
    await a.service.settled();
    const held = [...om.fake.store.memories.values()].filter((m) => m.user_id?.includes(CALLER));
    expect(held).toEqual([]);
    expect(b.core.db.all(sql`SELECT id FROM agent_memory_events WHERE user_id = ${CALLER}`)).toEqual([]);
    expect(b.core.db.all(sql`SELECT * FROM agent_memory_callers WHERE user_id = ${CALLER}`)).toEqual([]);
  });

  it('erases a call that another process committed while the backend was being emptied', async () => {
    const [a, b] = await twoProcesses();
    await a.postCall(transcription({ conversationId: 'conv_before', callerId: CALLER }));
    await a.service.settled();
    om.fake.faults.always({ kind: 'delay', ms: 300, match: (m) => m === 'DELETE' });
    om.fake.faults.always({ kind: 'delay', ms: 600, match: (m, p) => m === 'POST' && p === '/memory/add' });
    const erasing = b.request(`/api/users/${encodeURIComponent(CALLER)}/memories`, {
      method: 'DELETE',
      headers: { 'x-api-key': ADMIN_KEY },
    });
    await new Promise((r) => setTimeout(r, 100)); // b is emptying the backend now
    const during = await a.postCall(
      transcription({ conversationId: 'conv_during', callerId: CALLER, summary: 'Booked the tuba lesson.' }),
    );
    expect(during.status).toBe(200);
    expect((await erasing).status).toBe(200);
    await a.service.settled();
    const held = [...om.fake.store.memories.values()].filter((m) => m.user_id?.includes(CALLER));
    expect(held).toEqual([]);
    expect(b.core.db.all(sql`SELECT id FROM agent_memory_events WHERE user_id = ${CALLER}`)).toEqual([]);
  });

  it("counts another process's lease on the caller's events, not its own (its worker waits for those)", async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const a = await start(join(dir, 'shared.db'));
    await a.postCall(transcription({ conversationId: 'conv_lease', callerId: CALLER }));
    await a.service.settled();
    const until = Date.now() + 60_000;
    a.core.db.run(sql`UPDATE agent_memory_events SET status = 'delivering', lease_owner = 'proc-1',
      lease_expires_at = ${until} WHERE user_id = ${CALLER}`);
    const events = a.service.events;
    expect(events.holdForErasure(CALLER, 'erasure:x', Date.now(), 1000, 'proc-1')).toBe(0);
    expect(events.holdForErasure(CALLER, 'erasure:x', Date.now(), 1000, 'proc-2')).toBe(1);
    events.releaseErasure(CALLER, 'erasure:x');
  });
});
