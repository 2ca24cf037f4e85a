import { beforeAll, describe, expect, it } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8'));
const PLUGINS = readdirSync(`${ROOT}plugins`, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

/** The paths `npm pack` would publish (bun's packer when npm is not installed). */
function packedFiles(): string[] {
  const npm = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (npm.status === 0) return JSON.parse(npm.stdout)[0].files.map((f: { path: string }) => f.path);
  const bun = spawnSync('bun', ['pm', 'pack', '--dry-run'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (bun.status !== 0) throw new Error(`npm pack and bun pm pack both failed: ${npm.stderr}${bun.stderr}`);
  return [...bun.stdout.matchAll(/^packed \S+ (.+)$/gm)].map((m) => m[1]!);
}

/** Export targets: `"./x.ts"` or `{ types, default }`. */
function targets(entry: string | Record<string, string>): string[] {
  return typeof entry === 'string' ? [entry] : Object.values(entry);
}

describe('the published package', () => {
  let files: string[];

  beforeAll(() => {
    files = packedFiles();
  });

  it('has an entry for the core and for every plugin, each with types', () => {
    expect(Object.keys(pkg.exports).sort()).toEqual(
      ['.', './config.schema.json', './package.json', ...PLUGINS.map((p) => `./plugins/${p}`)].sort(),
    );
    expect(pkg.exports['.']).toEqual({ types: './src/index.ts', default: './src/index.ts' });
    for (const name of PLUGINS) {
      const target = `./plugins/${name}/index.ts`;
      expect(pkg.exports[`./plugins/${name}`]).toEqual({ types: target, default: target });
    }
  });

  it('ships every export target, the CLI and every plugin README', () => {
    const wanted = [
      ...Object.values(pkg.exports).flatMap((e) => targets(e as string | Record<string, string>)),
      pkg.main,
      pkg.types,
      pkg.bin.elaoms,
      ...PLUGINS.map((p) => `./plugins/${p}/README.md`),
      './README.md',
      './LICENSE',
    ].map((path) => path.replace(/^\.\//, ''));
    for (const path of wanted) {
      expect(existsSync(`${ROOT}${path}`)).toBe(true);
      expect(files).toContain(path);
    }
  });

  it('ships every drizzle migration', () => {
    const migrations = readdirSync(`${ROOT}drizzle`).flatMap((owner) =>
      readdirSync(`${ROOT}drizzle/${owner}`).map((folder) => `drizzle/${owner}/${folder}/migration.sql`),
    );
    expect(migrations.length).toBeGreaterThan(0);
    for (const migration of migrations) expect(files).toContain(migration);
  });

  it('ships only what is allowed: sources, migrations, UI assets, docs, README and LICENSE', () => {
    const plugin = `(?:${PLUGINS.join('|')})`;
    const allowed = [
      /^(package\.json|README\.md|LICENSE)$/,
      /^src\/[\w/-]+\.ts$/,
      new RegExp(`^plugins/${plugin}/[\\w/-]+\\.ts$`),
      new RegExp(`^plugins/${plugin}/README\\.md$`),
      /^plugins\/kb-sync\/ui\/[\w-]+\.(html|css|js)$/,
      // The migrator reads only migration.sql; drizzle-kit's snapshot.json stays in the repository.
      /^drizzle\/[\w-]+\/\d{14}_\w+\/migration\.sql$/,
      /^docs\/[\w-]+\.md$/,
      /^docs\/config\.schema\.json$/,
    ];
    expect(files.filter((path) => !allowed.some((pattern) => pattern.test(path)))).toEqual([]);
    expect(files.filter((path) => /\.test\.ts$/.test(path))).toEqual([]);
  });

  it('resolves each plugin entry to a definition and a mountable factory', async () => {
    for (const name of PLUGINS) {
      const mod = await import(`${ROOT}plugins/${name}/index.ts`);
      const camel = name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
      expect(mod[`${camel}Plugin`]?.name).toBe(name);
      expect(typeof mod[camel]).toBe('function');
    }
  });

  it('offers the core API from the main entry', async () => {
    const main = await import(`${ROOT}src/index.ts`);
    for (const name of [
      'createApp',
      'createCore',
      'embed',
      'defineConfig',
      'definePlugin',
      'HttpError',
      'jsonError',
    ]) {
      expect(typeof main[name]).toBe('function');
    }
    expect(main.builtinPlugins.map((p: { name: string }) => p.name).sort()).toEqual(PLUGINS);
  });
});
