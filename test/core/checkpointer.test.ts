/**
 * The WAL is copied into the database file by a worker thread while the core runs, not by the
 * connection that commits: with SQLite's own checkpoints turned off, the pages still reach the
 * database file (its header's page count grows), and stopping the core stops the thread.
 */
import { describe, expect, it } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.ts';
import { memoryDestination } from '../../src/log.ts';
import { runnerArgs } from '../helpers/process.ts';

/** The database size in pages, as the file's header says (what checkpoints have written). */
function pagesOnDisk(path: string): number {
  return readFileSync(path).readUInt32BE(28);
}

async function core(dir: string, intervalMs: number) {
  const core = await createApp({
    env: {
      DATABASE_PATH: join(dir, 'elaoms.db'),
      WEBHOOK_STORAGE_PATH: join(dir, 'webhooks'),
      DATABASE_WAL_AUTOCHECKPOINT_PAGES: '0',
      DATABASE_CHECKPOINT_INTERVAL_MS: String(intervalMs),
    },
    argv: [],
    cwd: dir,
    logDestination: memoryDestination(),
  });
  await core.start();
  return core;
}

function fill(db: Awaited<ReturnType<typeof core>>['db']): void {
  db.$client.exec('CREATE TABLE IF NOT EXISTS filler (x TEXT)');
  const insert = db.$client.prepare('INSERT INTO filler VALUES (?)');
  for (let i = 0; i < 200; i++) insert.run('x'.repeat(4000));
}

describe('background WAL checkpoints', () => {
  it('copies committed pages into the database file from another thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'checkpoint-'));
    const app = await core(dir, 20);
    const before = pagesOnDisk(join(dir, 'elaoms.db'));
    fill(app.db);
    let after = before;
    for (let i = 0; i < 100 && after < before + 200; i++) {
      await new Promise((r) => setTimeout(r, 20));
      after = pagesOnDisk(join(dir, 'elaoms.db'));
    }
    expect(after).toBeGreaterThanOrEqual(before + 200);
    await app.stop();
  });

  it('never keeps a process alive: a script that starts the core and forgets to stop it exits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'checkpoint-'));
    const script = new URL('./scripts/start-and-leave.ts', import.meta.url).pathname;
    const result = spawnSync(process.execPath, runnerArgs(script), {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, DATABASE_PATH: join(dir, 'elaoms.db'), WEBHOOK_STORAGE_PATH: join(dir, 'w') },
    });
    expect(result.stdout).toContain('started');
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
  }, 30_000);

  it('leaves the WAL alone when turned off (interval 0)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'checkpoint-'));
    const app = await core(dir, 0);
    const before = pagesOnDisk(join(dir, 'elaoms.db'));
    fill(app.db);
    await new Promise((r) => setTimeout(r, 200));
    expect(pagesOnDisk(join(dir, 'elaoms.db'))).toBe(before);
    await app.stop();
  });
});
