import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmbeddedBackend } from '../../plugins/memory/embedded.ts';
import { parseKey } from '../../plugins/storage/fernet.ts';
import { manualClock } from '../../src/clock.ts';
import { applyMigrations, closeDatabase, openDatabase } from '../../src/db/index.ts';
import { conversation, MEMORY_MIGRATIONS } from '../memory/helpers.ts';
import { type StorageHarness, storageHarness, transcription } from '../storage/helpers.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
const DAY = 86_400_000;

/** Runs the CLI as a real subprocess under the runtime running the tests. */
function cli(args: string[], env: Record<string, string> = {}, cwd?: string) {
  const runner = typeof (globalThis as any).Deno !== 'undefined' ? ['run', '-A', CLI] : [CLI];
  const result = spawnSync(process.execPath, [...runner, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
    encoding: 'buffer',
    timeout: 30_000,
  });
  return {
    code: result.status,
    stdout: result.stdout,
    out: result.stdout.toString(),
    err: result.stderr.toString(),
  };
}

let root: string;
let h: StorageHarness | undefined;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'elaoms-cli-'));
});

afterEach(async () => {
  await h?.close();
  h = undefined;
  await rm(root, { recursive: true, force: true });
});

describe('elaoms CLI', () => {
  it('keygen prints a valid Fernet key, a new one each time', () => {
    const first = cli(['keygen']);
    const second = cli(['keygen']);
    expect(first.code).toBe(0);
    const key = first.out.trim();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(parseKey(key).length).toBe(32);
    expect(second.out.trim()).not.toBe(key);
  });

  it('decrypt prints the exact plaintext of a file the plugin encrypted', async () => {
    h = await storageHarness({ encryptionEnabled: true, encryptionKey: KEY }, { root });
    const body = transcription('conv_cli', { transcript: 'pineapple', bytes: '\u00e9\u{1f600}' });
    const saved = await h.service.save({
      webhookType: 'post_call_transcription',
      conversationId: 'conv_cli',
      validated: true,
      body,
      ext: 'json',
    });
    expect(await readFile(saved!.path, 'utf8')).not.toContain('pineapple');

    const run = cli(['decrypt', saved!.path], { ENCRYPTION_KEY: `${'A'.repeat(43)}=,${KEY}` });
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(Buffer.compare(run.stdout, Buffer.from(body))).toBe(0);
  });

  it('decrypt fails with exit 1 on a plaintext file, 2 without a key or a FILE', async () => {
    const plain = join(root, 'plain.json');
    await writeFile(plain, '{"a":1}');
    const wrong = cli(['decrypt', plain], { ENCRYPTION_KEY: KEY });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('not a Fernet token');
    expect(wrong.out).toBe('');

    const noKey = cli(['decrypt', plain]);
    expect(noKey.code).toBe(2);
    expect(noKey.err).toContain('storage.encryptionKey');

    const noFile = cli(['decrypt'], { ENCRYPTION_KEY: KEY });
    expect(noFile.code).toBe(2);
    expect(noFile.err).toContain('Usage: elaoms decrypt FILE');

    const missing = cli(['decrypt', join(root, 'nope')], { ENCRYPTION_KEY: KEY });
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no such file');
  });

  it('sweep deletes expired files of the configured database and prints its stats', async () => {
    const database = join(root, 'elaoms.db');
    h = await storageHarness({}, { root, database: { path: database } });
    h.clock.set(Date.now() - 40 * DAY);
    const old = await h.service.save({
      webhookType: 'post_call_transcription',
      conversationId: 'old',
      validated: true,
      body: transcription('old'),
      ext: 'json',
    });
    h.clock.set(Date.now());
    const fresh = await h.service.save({
      webhookType: 'post_call_transcription',
      conversationId: 'fresh',
      validated: true,
      body: transcription('fresh'),
      ext: 'json',
    });
    await h.close();
    h = undefined;

    const env = {
      DATABASE_PATH: database,
      WEBHOOK_STORAGE_PATH: join(root, 'webhooks'),
      WEBHOOK_QUARANTINE_PATH: join(root, 'webhooks', 'quarantine'),
    };
    const run = cli(['sweep', '--json'], env, root);
    expect(run.code).toBe(0);
    const stats = JSON.parse(run.out);
    expect(stats).toMatchObject({ filesDeleted: 1, errors: 0 });
    expect(stats.bytesFreed).toBeGreaterThan(0);
    expect(existsSync(old!.path)).toBe(false);
    expect(existsSync(fresh!.path)).toBe(true);

    const again = cli(['sweep'], env, root);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/^deleted 0 files, freed 0 bytes in \d+ ms\n$/);

    // A temp file of a write that crashed an hour ago is removed, and the plain output says so.
    const stale = join(root, 'webhooks', '.crashed.json.0123456789abcdef.tmp');
    writeFileSync(stale, 'half a payload');
    utimesSync(stale, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    const temps = cli(['sweep'], env, root);
    expect(temps.code).toBe(0);
    expect(temps.out).toMatch(/^deleted 0 files, freed 14 bytes in \d+ ms, removed 1 stale temp files\n$/);
    expect(existsSync(stale)).toBe(false);
  });

  it('reindex rebuilds the embedded search index of the configured database', async () => {
    const database = join(root, 'elaoms.db');
    const db = openDatabase({ path: database });
    applyMigrations(db, MEMORY_MIGRATIONS, '__elaoms_migrations_memory');
    const backend = createEmbeddedBackend({ db, clock: manualClock(Date.now()) });
    await backend.storeConversation({ userId: '+1' }, conversation('c1', 'my parrot talks'));
    // Restored by hand under the same id with another text: the index still holds the old words.
    db.$client.exec(`INSERT OR REPLACE INTO memory_items (id, user_id, conversation_id, kind, seq, text, created_at, word_count)
      SELECT id, user_id, conversation_id, kind, seq, 'a budgie sings', created_at, 3 FROM memory_items`);
    expect(await backend.search({ userId: '+1' }, 'budgie')).toEqual([]);
    await backend.close?.();
    closeDatabase(db);

    const run = cli(['reindex'], { DATABASE_PATH: database, MEMORY_BACKEND: 'embedded' }, root);
    expect(run.err).not.toContain('"level":"error"');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^rebuilt the search index of 1 memories in \d+ ms\n$/);
    const reopened = openDatabase({ path: database });
    const after = createEmbeddedBackend({ db: reopened, clock: manualClock(Date.now()) });
    expect((await after.search({ userId: '+1' }, 'budgie')).map((hit) => hit.text)).toEqual([
      'a budgie sings',
    ]);
    expect(await after.search({ userId: '+1' }, 'parrot')).toEqual([]);
    await after.close?.();
    closeDatabase(reopened);

    // Not for a remote backend, nor a database that is not there (it would make an empty one).
    const remote = cli(
      ['reindex'],
      {
        DATABASE_PATH: database,
        MEMORY_BACKEND: 'openmemory',
        OPENMEMORY_API_KEY: 'k',
        OPENMEMORY_URL: 'http://127.0.0.1:9',
      },
      root,
    );
    expect(remote.code).toBe(2);
    expect(remote.err).toContain(
      'reindex is for the embedded memory backend; this configuration uses openmemory',
    );
    expect(remote.err).not.toContain('Usage');
    const missing = cli(['reindex'], { DATABASE_PATH: join(root, 'nowhere', 'elaoms.db') }, root);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`no database at ${join(root, 'nowhere', 'elaoms.db')}`);
    expect(existsSync(join(root, 'nowhere'))).toBe(false);
  });

  it('prints help, and exits 2 on an unknown command or none', () => {
    const help = cli(['--help']);
    expect(help.code).toBe(0);
    for (const name of ['keygen', 'decrypt FILE', 'sweep', 'reindex']) expect(help.out).toContain(name);
    const unknown = cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "frobnicate"');
    expect(cli([]).code).toBe(2);
    expect(cli(['sweep', '--help']).out).toContain('Usage: elaoms sweep');
  });
});
