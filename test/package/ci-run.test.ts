/**
 * `.ci/run` ends with its "N passed, N failed" line even when a setup step fails (installing bun or
 * deno, `bun install --frozen-lockfile`, Redis). The tools are stubs on a PATH of their own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('../../.ci/run', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'elaoms-ci-run-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs .ci/run with only `stubs` (name -> shell body) and a few basic tools on PATH. */
async function ciRun(name: string, stubs: Record<string, string>) {
  const bin = join(dir, name);
  await mkdir(bin);
  for (const tool of ['dirname', 'grep', 'head']) {
    const found = ['/usr/bin', '/bin'].map((d) => join(d, tool)).find((p) => existsSync(p));
    if (found) await symlink(found, join(bin, tool));
  }
  for (const [tool, body] of Object.entries(stubs)) {
    await writeFile(join(bin, tool), `#!/bin/bash\n${body}\n`);
    await chmod(join(bin, tool), 0o755);
  }
  const result = spawnSync('/bin/bash', [RUN], {
    env: { PATH: bin, HOME: dir },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const lines = result.stdout.trim().split('\n');
  return { code: result.status, out: result.stdout, last: lines[lines.length - 1] };
}

/** CI stopped before the tests: it says why, still prints the count line, and exits 1. */
function expectEarlyFailure(run: { out: string; last: string; code: number | null }, why: string): void {
  expect(run.out).toContain(why);
  expect(run.last).toBe('0 passed, 1 failed');
  expect(run.code).toBe(1);
}

describe('.ci/run when setup fails', () => {
  it('installing bun fails', async () => {
    const run = await ciRun('no-bun', { npm: 'exit 1' });
    expectEarlyFailure(run, 'installing bun failed');
  });

  it('installing deno fails', async () => {
    const run = await ciRun('no-deno', { npm: 'exit 1', bun: 'echo 1.4.5' });
    expectEarlyFailure(run, 'installing deno failed');
  });

  it('bun install --frozen-lockfile fails', async () => {
    const run = await ciRun('frozen', {
      bun: '[ "$1" = --version ] && echo 1.4.5 && exit 0; echo "lockfile had changes"; exit 1',
      deno: 'echo "deno 2.9.6 (stable)"',
    });
    expectEarlyFailure(run, 'bun install --frozen-lockfile failed');
  });

  it('Redis does not answer', async () => {
    const run = await ciRun('no-redis', {
      bun: '[ "$1" = --version ] && echo 1.4.5; exit 0',
      deno: 'echo "deno 2.9.6 (stable)"',
      'redis-cli': 'exit 1',
      'redis-server': 'exit 1',
    });
    expectEarlyFailure(run, 'Redis does not answer');
  });
});
