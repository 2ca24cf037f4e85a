/** A real core with only the storage plugin, a temp folder, a manual clock and captured logs. */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type StorageService, storagePlugin } from '../../plugins/storage/index.ts';
import { manualClock } from '../../src/clock.ts';
import { type Core, createCore } from '../../src/core.ts';
import { memoryDestination } from '../../src/log.ts';

export const KEY_A = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
export const KEY_B = 'aGVsbG8td29ybGQtdGhpcy1pcy0zMi1ieXRlcy1rZXk=';

export interface StorageHarness {
  core: Core;
  service: StorageService;
  logs: Array<Record<string, any>>;
  clock: ReturnType<typeof manualClock>;
  root: string;
  base: string;
  quarantine: string;
  close(): Promise<void>;
}

/** Builds the harness; `storage` overrides the plugin section, `database` the core one. */
export async function storageHarness(
  storage: Record<string, unknown> = {},
  options: { root?: string; database?: Record<string, unknown> } = {},
): Promise<StorageHarness> {
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'elaoms-storage-')));
  const base = join(root, 'webhooks');
  const quarantine = join(base, 'quarantine');
  const destination = memoryDestination();
  const clock = manualClock();
  const core = await createCore({
    plugins: [storagePlugin],
    config: {
      database: { path: ':memory:', ...options.database },
      storage: { path: base, quarantinePath: quarantine, cleanupEverySeconds: 0, ...storage },
    },
    env: {},
    logDestination: destination,
    clock,
  });
  return {
    core,
    service: core.service<StorageService>('storage'),
    logs: destination.lines,
    clock,
    root,
    base,
    quarantine,
    async close() {
      await core.stop();
      if (!options.root) await rm(root, { recursive: true, force: true });
    },
  };
}

/** Permission bits of a path. */
export async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

/** Every file under `dir`, as absolute paths. */
export async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out;
}

export const utf8 = new TextEncoder();

/** A transcription-like JSON body. */
export function transcription(conversationId: string, extra: Record<string, unknown> = {}): Uint8Array {
  return utf8.encode(
    JSON.stringify({ type: 'post_call_transcription', data: { conversation_id: conversationId, ...extra } }),
  );
}

/** Bytes that look like an MP3 frame header followed by every byte value. */
export function mp3Bytes(size = 4096): Uint8Array {
  const out = new Uint8Array(size);
  out.set([0x49, 0x44, 0x33, 0x04, 0x00]);
  for (let i = 5; i < size; i++) out[i] = i % 256;
  return out;
}
