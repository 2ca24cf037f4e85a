/**
 * `deno task test` leaves out the test files marked as not running on Deno (the marker .ci/run
 * reads), and says which and why, instead of running them and failing.
 */
import { describe, expect, it } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { denoTestFiles } from '../../scripts/deno-test.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Spelled in two parts so this file does not carry the marker itself.
const MARKER = `@deno${'-'}skip: `;
const MARKED = 'test/embedding/client-ip.test.ts';

describe('deno task test', () => {
  it('splits the test files into those to run and those marked, with the reason', () => {
    const { run, skipped } = denoTestFiles();
    expect(skipped.map((s) => s.file)).toContain(MARKED);
    expect(skipped.find((s) => s.file === MARKED)!.reason).toContain('Bun');
    expect(run).toContain('test/package/deno-task.test.ts');
    expect(run).not.toContain(MARKED);
    for (const file of run) expect(readFileSync(`${ROOT}${file}`, 'utf8')).not.toContain(MARKER);
    for (const { file } of skipped) expect(readFileSync(`${ROOT}${file}`, 'utf8')).toContain(MARKER);
  });

  it('does not run a marked file, and lists it', () => {
    const result = spawnSync('deno', ['task', 'test', MARKED], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(result.stdout).toContain(`not on Deno: ${MARKED} (`);
    expect(result.stdout).not.toContain('running 1 test');
    expect(result.status).toBe(0);
  });

  it('prints the split for .ci/run with --list, one tab-separated line per file', () => {
    const result = spawnSync(process.execPath, ['scripts/deno-test.ts', '--list'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    const { run, skipped } = denoTestFiles();
    expect(lines.filter((l) => l.startsWith('run\t'))).toEqual(run.map((file) => `run\t${file}`));
    expect(lines.filter((l) => l.startsWith('skip\t'))).toEqual(
      skipped.map(({ file, reason }) => `skip\t${file}\t${reason}`),
    );
    expect(lines).toHaveLength(run.length + skipped.length);
  });
});
