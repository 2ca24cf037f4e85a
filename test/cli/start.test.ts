/**
 * `elaoms start`: the installed CLI serves like `bun run start` does in a checkout, alone or as the
 * supervisor of WORKERS processes (each worker reruns `elaoms start`), and stops on SIGTERM.
 */
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, runnerArgs, untilHealthy } from '../helpers/process.ts';
import { waitUntil } from '../helpers/wait.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'elaoms-start-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function startAndCheck(workers: number) {
  const port = await freePort();
  const runner = runnerArgs(CLI);
  const child = spawn(process.execPath, [...runner, 'start'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      WORKERS: String(workers),
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (err += chunk));
  try {
    await untilHealthy(child, port, () => err);
    const starts = () => out.split('\n').filter((l) => l.includes('"msg":"elaoms started"')).length;
    // A worker logs "elaoms started" before it prints its banner: wait for both, within the deadline.
    const listening = `elaoms listening on http://127.0.0.1:${port}`;
    await waitUntil(() => starts() >= workers && out.includes(listening), { withinMs: 20_000, everyMs: 50 });
    expect(starts()).toBe(workers);
    expect(out).toContain(listening);
  } finally {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const code = await exited;
    // Deno reports a child that handled SIGTERM and exited 0 as killed by the signal (code null).
    if (typeof (globalThis as any).Deno === 'undefined') expect(code).toBe(0);
  }
  expect(out).toContain('"msg":"elaoms stopped"');
  // Relative paths (the default data/elaoms.db) resolve against the directory it was started in.
  expect(existsSync(join(dir, 'data', 'elaoms.db'))).toBe(true);
}

describe('elaoms start', () => {
  it('serves /health and stops on SIGTERM', async () => {
    await startAndCheck(1);
  }, 30_000);

  it('with WORKERS=2 starts two workers that rerun `elaoms start`', async () => {
    await startAndCheck(2);
  }, 30_000);
});
