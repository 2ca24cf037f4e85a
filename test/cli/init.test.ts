import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { realpathSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinPlugins } from '../../src/app.ts';
import { commandsHere } from '../../src/cli/init.ts';
import { composeSchema, loadConfig } from '../../src/config/index.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

function cli(args: string[], cwd: string) {
  const runner = typeof (globalThis as any).Deno !== 'undefined' ? ['run', '-A', CLI] : [CLI];
  const result = spawnSync(process.execPath, [...runner, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'elaoms-init-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('elaoms init', () => {
  it('writes a config that loads, fresh secrets in a private .env, and the next steps', async () => {
    const run = cli(['init', '--public-url', 'https://memory.example.com'], dir);
    expect(run.code).toBe(0);
    expect(run.out).toContain('https://memory.example.com/webhooks/post-call');
    expect(run.out).toContain('https://memory.example.com/webhooks/client-data');
    expect(run.out).toContain('https://memory.example.com/webhooks/search-data');
    expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o600);
    const env = parseEnv(await readFile(join(dir, '.env'), 'utf8'));
    // No placeholder may act as a secret: the post-call route stays closed until a real one is set.
    expect(env.ELEVENLABS_WEBHOOK_SECRET).toBeUndefined();
    expect(env.ELEVENLABS_API_KEY).toBeUndefined();
    expect(env.WEBHOOK_API_KEYS).toMatch(/^elevenlabs:[\w-]{32}$/);
    expect(env.ADMIN_API_KEYS).toMatch(/^admin:[\w-]{32}$/);
    expect(run.out).toContain(env.WEBHOOK_API_KEYS!.split(':')[1]!);
    const example = await readFile(join(dir, '.env.example'), 'utf8');
    expect(example).not.toContain(env.ENCRYPTION_KEY!);
    expect(example).not.toContain(env.ADMIN_API_KEYS!.split(':')[1]!);
    const { config } = loadConfig<any>(composeSchema(builtinPlugins), {
      cwd: dir,
      env: { ...env, ENABLE_ENCRYPTION_AT_REST: 'true' },
    });
    expect(config.headerAuth.webhookKeys).toEqual([env.WEBHOOK_API_KEYS]);
    expect(config.storage.encryptionEnabled).toBe(true);
  });

  it('prints commands that work from a checkout: package scripts in it, the CLI by path elsewhere', () => {
    const root = realpathSync(fileURLToPath(new URL('../../', import.meta.url)));
    expect(commandsHere(root)).toEqual({ start: 'bun run start', cli: 'bun run elaoms' });
    const run = cli(['init'], dir);
    expect(run.code).toBe(0);
    const byPath = `bun ${join(root, 'src', 'cli.ts')}`;
    expect(run.out).toContain(`${byPath} start`);
    expect(run.out).toContain(`${byPath} send post-call`);
    expect(run.out).not.toContain('bun run');
  });

  it('refuses to overwrite without --force', async () => {
    expect(cli(['init'], dir).code).toBe(0);
    const first = await readFile(join(dir, '.env'), 'utf8');
    const again = cli(['init'], dir);
    expect(again.code).toBe(1);
    expect(again.err).toContain('--force');
    expect(await readFile(join(dir, '.env'), 'utf8')).toBe(first);
    expect(cli(['init', '--force'], dir).code).toBe(0);
    expect(await readFile(join(dir, '.env'), 'utf8')).not.toBe(first);
  });
});
