import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
    await mkdir(join(dir, 'node_modules'));
    for (const name of await readdir(join(ROOT, 'node_modules'))) {
      if (name !== 'elaoms') await symlink(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name));
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
});
