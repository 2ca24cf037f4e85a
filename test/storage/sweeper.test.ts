import { afterEach, describe, expect, it } from 'bun:test';
import { mkdir, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REQUEST_SWEEP_GAP_MS, STALE_TEMP_MS } from '../../plugins/storage/sweeper.ts';
import { acquireLease } from '../../src/db/leases.ts';
import { type StorageHarness, storageHarness, transcription, walk } from './helpers.ts';

const DAY = 86_400_000;
let h: StorageHarness;

afterEach(async () => {
  await h.close();
});

async function saveAt(ageDays: number, name: string) {
  const now = h.clock.now();
  h.clock.set(now - ageDays * DAY);
  const saved = await h.service.save({
    webhookType: 'post_call_transcription',
    conversationId: name,
    callerPhone: '+1',
    validated: true,
    body: transcription(name),
    ext: 'json',
  });
  h.clock.set(now);
  return saved!;
}

async function holdAt(ageDays: number) {
  const now = h.clock.now();
  h.clock.set(now - ageDays * DAY);
  const id = await h.service.quarantine.hold(transcription('q'));
  h.clock.set(now);
  return id!;
}

async function sizeWithSidecar(path: string): Promise<number> {
  return (await stat(path)).size + (await stat(`${path}.metadata.json`)).size;
}

describe('retention sweeper (PERF-4)', () => {
  it('deletes exactly the expired payloads and quarantined bodies, and records the run', async () => {
    h = await storageHarness();
    const old = await saveAt(31, 'old');
    const edge = await saveAt(30, 'edge');
    const fresh = await saveAt(1, 'fresh');
    const oldHeld = await holdAt(8);
    const freshHeld = await holdAt(6);
    const expectedBytes =
      (await sizeWithSidecar(old.path)) + (await stat(`${h.quarantine}/${oldHeld}.body`)).size;

    const stats = await h.service.sweep(h.clock.now());
    expect(stats).toMatchObject({ filesDeleted: 2, bytesFreed: expectedBytes, errors: 0 });
    expect(stats.skipped).toBeUndefined();

    const left = (await walk(h.base)).sort();
    expect(left).toEqual(
      [
        edge.path,
        `${edge.path}.metadata.json`,
        fresh.path,
        `${fresh.path}.metadata.json`,
        `${h.quarantine}/${freshHeld}.body`,
      ].sort(),
    );
    expect(h.service.list().length).toBe(3);
    const [run] = h.service.sweeps();
    expect(run).toMatchObject({
      startedAt: h.clock.now(),
      filesDeleted: 2,
      bytesFreed: expectedBytes,
      errors: 0,
    });
    const line = h.logs.find((l) => l.msg === 'retention sweep done');
    expect(line).toMatchObject({ files_deleted: 2, bytes_freed: expectedBytes });
    expect(await h.core.metrics.metrics()).toContain('elaoms_storage_sweep_files_deleted_total 2');
  });

  it('honours WEBHOOK_RETENTION_DAYS and counts rows whose file is already gone', async () => {
    h = await storageHarness({ retentionDays: 2 });
    const a = await saveAt(3, 'a');
    await saveAt(1, 'b');
    await unlink(a.path);
    const stats = await h.service.sweep();
    expect(stats.filesDeleted).toBe(1);
    expect(h.service.list().map((r) => r.conversationId)).toEqual(['b']);
  });

  it('never runs twice at once, in a process or across processes (lease)', async () => {
    h = await storageHarness();
    await saveAt(40, 'x');
    const [first, second] = await Promise.all([h.service.sweep(), h.service.sweep()]);
    expect(first.skipped).toBeUndefined();
    expect(second.skipped).toBe('running');
    expect(first.filesDeleted).toBe(1);

    expect(acquireLease(h.core.db, 'storage.sweep', 'other-worker', h.clock.now(), 60_000)).toBe(true);
    expect((await h.service.sweep()).skipped).toBe('lease');
    h.clock.advance(60_001);
    expect((await h.service.sweep()).skipped).toBeUndefined();
    expect(h.service.sweeps().length).toBe(2);
  });

  it('runs by itself every CLEANUP_FREQUENCY_REQUESTS saves', async () => {
    h = await storageHarness({ cleanupEveryRequests: 3 });
    await saveAt(40, 'a');
    await saveAt(0, 'b');
    expect(h.service.sweeps().length).toBe(0);
    await saveAt(0, 'c');
    for (let i = 0; i < 200 && h.service.sweeps().length === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(h.service.sweeps()[0]).toMatchObject({ filesDeleted: 1 });
    expect(h.service.stats().lastSweep?.filesDeleted).toBe(1);
  });

  it('starts a sweep by request count at most once per REQUEST_SWEEP_GAP_MS', async () => {
    h = await storageHarness({ cleanupEveryRequests: 2, cleanupEverySeconds: 0 });
    const sweptAfter = async (names: string[]) => {
      for (const name of names) await saveAt(0, name);
      await new Promise((r) => setTimeout(r, 50));
      return h.service.sweeps().length;
    };
    expect(await sweptAfter(['a', 'b'])).toBe(1);
    expect(await sweptAfter(['c', 'd', 'e', 'f'])).toBe(1);
    h.clock.advance(REQUEST_SWEEP_GAP_MS);
    expect(await sweptAfter(['g', 'h'])).toBe(2);
  });

  it('deletes temp files of interrupted writes older than STALE_TEMP_MS and keeps fresh ones', async () => {
    h = await storageHarness();
    const kept = await saveAt(1, 'kept');
    const now = h.clock.now();
    const dir = join(h.base, '+1');
    const temp = (name: string) => `.${name}.0123456789abcdef.tmp`;
    const stale = join(dir, temp('crashed_post_call_transcription.json'));
    const staleHeld = join(h.quarantine, temp('1b4e28ba-2fa1-11d2-883f-0016d3cca427.body'));
    const fresh = join(dir, temp('writing_post_call_audio.mp3'));
    const notOurs = [join(dir, '.notes.tmp'), join(dir, 'export.tmp')];
    await mkdir(h.quarantine, { recursive: true });
    for (const path of [stale, staleHeld, fresh, ...notOurs]) await writeFile(path, 'partial');
    const at = (ms: number) => new Date(ms);
    for (const path of [stale, staleHeld, ...notOurs])
      await utimes(path, at(now - STALE_TEMP_MS - 60_000), at(now - STALE_TEMP_MS - 60_000));
    await utimes(fresh, at(now - STALE_TEMP_MS + 60_000), at(now - STALE_TEMP_MS + 60_000));

    const stats = await h.service.sweep(now);
    expect(stats).toMatchObject({ filesDeleted: 0, tempFilesDeleted: 2, bytesFreed: 14, errors: 0 });
    expect((await walk(h.base)).sort()).toEqual(
      [kept.path, `${kept.path}.metadata.json`, fresh, ...notOurs].sort(),
    );
    const done = h.logs.find((l) => l.msg === 'retention sweep done');
    expect(done).toMatchObject({ temp_files_deleted: 2 });
  });
});
