import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, untilHealthy } from '../helpers/process.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const isDeno = typeof (globalThis as any).Deno !== 'undefined';
const PLUGINS = ['hmac-auth', 'header-auth', 'throttle', 'storage', 'cache', 'memory'];
const MORE = ['agent-memory', 'kb-sync', 'metrics'];

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn' },
  });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** Top-level packages in the checkout's node_modules that `names` need at run time, transitively. */
function productionClosure(names: string[]): Set<string> {
  const top = join(ROOT, 'node_modules');
  const found = new Set<string>();
  const visit = (packageDir: string, deps: string[]) => {
    for (const dep of deps) {
      const nested = join(packageDir, 'node_modules', dep);
      if (existsSync(nested)) walk(nested);
      else if (existsSync(join(top, dep)) && !found.has(dep)) {
        found.add(dep);
        walk(join(top, dep));
      }
    }
  };
  const walk = (packageDir: string) => {
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
    const kinds = [manifest.dependencies, manifest.optionalDependencies, manifest.peerDependencies];
    visit(
      packageDir,
      kinds.flatMap((deps) => Object.keys(deps ?? {})),
    );
  };
  visit(top, names);
  return found;
}

/** What a user writes: the main entry and every plugin entry, by package name. */
const CONSUMER = `
import { createApp, defineConfig } from 'elaoms';
${[...PLUGINS, ...MORE].map((name, i) => `import * as p${i} from 'elaoms/plugins/${name}';`).join('\n')}
const entries = [${[...PLUGINS, ...MORE].map((_, i) => `p${i}`).join(', ')}];
const core = await createApp({ config: defineConfig({ database: { path: ':memory:' }, log: { level: 'warn' } }), env: {} });
const health = await core.handle(new Request('http://localhost/health'));
console.log(JSON.stringify({
  health: health.status,
  plugins: core.plugins,
  definitions: entries.map((m) => Object.values(m).find((v) => v && typeof v === 'object' && 'configKey' in v)?.name),
}));
await core.stop();
`;

describe('the packed tarball, installed in an empty project', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'elaoms-consumer-'));
    const packed = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (packed.status !== 0) run('bun', ['pm', 'pack', '--destination', dir], ROOT);
    const tarball = (await readdir(dir)).find((name) => name.endsWith('.tgz'))!;
    // Extracted outside node_modules and linked in: Deno does not strip types under node_modules,
    // so Deno users map the entries in deno.json (docs/embedding.md); Bun follows the link.
    await mkdir(join(dir, 'pkg'));
    run('tar', ['xzf', tarball, '-C', 'pkg', '--strip-components=1'], dir);
    // Only what the packed package.json's dependencies pull in, as an install would: a package that
    // needs a devDependency at run time fails here.
    const manifest = JSON.parse(await readFile(join(dir, 'pkg', 'package.json'), 'utf8'));
    for (const name of productionClosure(Object.keys(manifest.dependencies ?? {}))) {
      await mkdir(dirname(join(dir, 'node_modules', name)), { recursive: true });
      await symlink(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name));
    }
    await symlink(join(dir, 'pkg'), join(dir, 'node_modules', 'elaoms'));
    const imports: Record<string, string> = { elaoms: './pkg/src/index.ts' };
    for (const name of [...PLUGINS, ...MORE])
      imports[`elaoms/plugins/${name}`] = `./pkg/plugins/${name}/index.ts`;
    await writeFile(join(dir, 'deno.json'), JSON.stringify({ nodeModulesDir: 'manual', imports }));
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ type: 'module', dependencies: { elaoms: '*' } }),
    );
    await writeFile(join(dir, 'main.ts'), CONSUMER);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('imports the core and every plugin by package name and serves /health', () => {
    const args = isDeno ? ['run', '-A', 'main.ts'] : ['main.ts'];
    const out = run(process.execPath, args, dir);
    const report = JSON.parse(out.split('\n').find((line) => line.startsWith('{"health"'))!);
    expect(report.health).toBe(200);
    expect(report.definitions).toEqual([...PLUGINS, ...MORE]);
    expect([...report.plugins].sort()).toEqual([...PLUGINS, ...MORE].sort());
  });

  it('has the CLI: init prints the installed commands, start serves /health with LOG_PRETTY=1', async () => {
    const cli = isDeno
      ? ['run', '-A', join(dir, 'pkg', 'src', 'cli.ts')]
      : [join(dir, 'pkg', 'src', 'cli.ts')];
    await mkdir(join(dir, 'site'));
    const init = run(process.execPath, [...cli, 'init'], join(dir, 'site'));
    expect(init).toContain('elaoms start');
    expect(init).toContain('elaoms send post-call');
    expect(init).not.toContain('bun run');

    const port = await freePort();
    // Bun reads .env by itself; on Deno the operator passes --env-file (docs/operations.md).
    const start = isDeno ? ['run', '-A', '--env-file=.env', ...cli.slice(2)] : cli;
    const child = spawn(process.execPath, [...start, 'start'], {
      cwd: join(dir, 'site'),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        PORT: String(port),
        LOG_PRETTY: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (chunk) => (out += chunk));
    child.stderr!.on('data', (chunk) => (out += chunk));
    try {
      await untilHealthy(
        child,
        port,
        () => out,
        () => /INFO.*elaoms started/.test(out),
      );
      // Pretty lines, not JSON; the secrets init wrote to .env were loaded (no "not configured" for them).
      expect(out).not.toMatch(/^\{"level"/m);
      expect(out).not.toContain('WEBHOOK_API_KEYS is not configured');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }, 40_000);
});
