/**
 * `deno task test [PATH…] [deno test flags]`: runs the test files under Deno, except the files marked
 * with a line "@deno-skip: <reason>", which it lists with their reason, as .ci/run does. PATHs (files
 * or folders) narrow the run; flags go to `deno test` (for example `--filter NAME`). `--list` only
 * prints one line per file, `run<TAB>file` or `skip<TAB>file<TAB>reason` (.ci/run reads it).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const MARKER = /@deno-skip: (.*)/;

function testFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => entry.name !== 'node_modules')
    .flatMap((entry) => testFiles(join(path, entry.name)));
}

/** The test files under `paths` (default: test/), split into those to run and those marked to skip. */
export function denoTestFiles(paths: string[] = []): {
  run: string[];
  skipped: Array<{ file: string; reason: string }>;
} {
  const roots = paths.length ? paths : [join(ROOT, 'test')];
  const files = [...new Set(roots.flatMap((p) => testFiles(p)))].map((f) => relative(ROOT, join(f))).sort();
  const run: string[] = [];
  const skipped: Array<{ file: string; reason: string }> = [];
  for (const file of files) {
    const reason = readFileSync(join(ROOT, file), 'utf8').match(MARKER)?.[1];
    if (reason) skipped.push({ file, reason: reason.trim() });
    else run.push(file);
  }
  return { run, skipped };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const paths = args.filter((a) => !a.startsWith('-'));
  const flags = args.filter((a) => a.startsWith('-'));
  const { run, skipped } = denoTestFiles(paths);
  if (flags.includes('--list')) {
    for (const file of run) console.log(`run\t${file}`);
    for (const { file, reason } of skipped) console.log(`skip\t${file}\t${reason}`);
    process.exit(0);
  }
  for (const { file, reason } of skipped) console.log(`not on Deno: ${file} (${reason})`);
  if (run.length === 0) {
    console.log('no test files to run on Deno');
    process.exit(0);
  }
  const result = spawnSync('deno', ['test', '-A', '--no-check', ...flags, ...run], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
}
