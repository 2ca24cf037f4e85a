/**
 * Two workers saving the same name at the same instant: the final name is claimed without replacing
 * (link, EEXIST → next name), so both payloads survive. The second worker is a second instance of
 * files.ts (its own in-process reservations), as another process would be.
 */
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { moveFileAtomic, writeFileAtomic } from '../../plugins/storage/atomic.ts';
import { newState, type StorageDeps } from '../../plugins/storage/deps.ts';
import { storageMetrics } from '../../plugins/storage/metrics.ts';
import { sameBytes } from './bytes.ts';
import { type StorageHarness, storageHarness, transcription, utf8, walk } from './helpers.ts';

type FilesModule = typeof import('../../plugins/storage/files.ts');

/**
 * A worker saving straight through files.ts, as the service does. `name` loads the module afresh
 * (its own in-process reservations): what another process running the same code would have.
 */
async function worker(h: StorageHarness, name: string) {
  // A relative specifier: Bun ignores the query of a file: URL and would hand back the same module.
  const specifier = `../../plugins/storage/files.ts?${name}`;
  const files: FilesModule = await import(specifier);
  const deps: StorageDeps = {
    config: (h.core.config as any).storage,
    db: h.core.db,
    logger: h.core.logger,
    clock: h.clock,
    metrics: storageMetrics(new Registry()),
    keys: null,
    instanceId: name,
  };
  return { save: (input: Parameters<FilesModule['saveFile']>[2]) => files.saveFile(deps, newState(), input) };
}

async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const ids = { webhookType: 'post_call_transcription', conversationId: 'same', callerPhone: '+1' } as const;

describe('exclusive placement (no overwrite across workers)', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'elaoms-race-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writeFileAtomic with exclusive fails with EEXIST on a taken name and changes nothing', async () => {
    const target = join(root, 'taken.json');
    await writeFile(target, 'first');
    const error = await rejection(writeFileAtomic(target, 'second', { exclusive: true }));
    expect(error.code).toBe('EEXIST');
    expect(await readFile(target, 'utf8')).toBe('first');
    expect(await readdir(root)).toEqual(['taken.json']);
    const fresh = await writeFileAtomic(join(root, 'free.json'), 'third', { exclusive: true });
    expect(await readFile(fresh.path, 'utf8')).toBe('third');
    expect((await readdir(root)).sort()).toEqual(['free.json', 'taken.json']);
  });

  it('moveFileAtomic with exclusive fails with EEXIST on a taken name; the source stays', async () => {
    const target = join(root, 'taken.json');
    const source = join(root, 'held.body');
    await writeFile(target, 'first');
    await writeFile(source, 'held');
    expect((await rejection(moveFileAtomic(source, target, { exclusive: true }))).code).toBe('EEXIST');
    expect(await readFile(target, 'utf8')).toBe('first');
    expect(await readFile(source, 'utf8')).toBe('held');
    const inode = (await stat(source)).ino;
    const moved = await moveFileAtomic(source, join(root, 'free.json'), { exclusive: true });
    expect((await stat(moved.path)).ino).toBe(inode);
    expect((await readdir(root)).sort()).toEqual(['free.json', 'taken.json']);
  });
});

describe('two workers saving the same name in the same millisecond', () => {
  let h: StorageHarness;
  afterEach(async () => {
    await h.close();
  });

  it('both payloads are stored, each intact, under two names', async () => {
    h = await storageHarness();
    const [one, two] = [await worker(h, 'worker-a'), await worker(h, 'worker-b')];
    const a = transcription('same', { from: 'worker a' });
    const b = transcription('same', { from: 'worker b' });
    await mkdir(join(h.base, '+1'), { recursive: true });
    // Same code, started together: both find the name free before either has placed its file.
    const [savedA, savedB] = await Promise.all([
      one.save({ ...ids, validated: true, body: a, ext: 'json' }),
      two.save({ ...ids, validated: true, body: b, ext: 'json' }),
    ]);
    expect(savedA).not.toBeNull();
    expect(savedB).not.toBeNull();
    expect(savedA!.path).not.toBe(savedB!.path);
    expect(sameBytes(new Uint8Array(await readFile(savedA!.path)), a)).toBe(true);
    expect(sameBytes(new Uint8Array(await readFile(savedB!.path)), b)).toBe(true);
    expect((await walk(join(h.base, '+1'))).length).toBe(4);
    expect((await h.service.verify(savedA!.id)).ok).toBe(true);
    expect((await h.service.verify(savedB!.id)).ok).toBe(true);
  });

  it('a promotion from quarantine racing a plain save: both stored, the held copy consumed', async () => {
    h = await storageHarness();
    const other = await worker(h, 'worker-b');
    const held = utf8.encode(JSON.stringify({ type: 'post_call_transcription', data: { held: true } }));
    const id = await h.service.quarantine.hold(held);
    await h.service.quarantine.release(id!, { accepted: true, outcome: 'accepted' });
    const plain = transcription('same', { from: 'plain' });
    const [promoted, saved] = await Promise.all([
      h.service.save({ ...ids, validated: true, body: held, ext: 'json', quarantineId: id! }),
      other.save({ ...ids, validated: true, body: plain, ext: 'json' }),
    ]);
    expect(promoted!.path).not.toBe(saved!.path);
    expect(sameBytes(new Uint8Array(await readFile(promoted!.path)), held)).toBe(true);
    expect(sameBytes(new Uint8Array(await readFile(saved!.path)), plain)).toBe(true);
    expect(await walk(h.quarantine)).toEqual([]);
    expect((await walk(join(h.base, '+1'))).length).toBe(4);
  });
});
