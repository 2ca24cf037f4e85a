import { describe, expect, it } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { ConfigError, composeSchema, loadConfig } from '../../src/config/index.ts';
import { definePlugin } from '../../src/plugin.ts';
import { testCore } from '../helpers/core.ts';

const demo = {
  configKey: 'demo',
  envPrefix: 'DEMO',
  schema: Type.Object({
    limit: Type.Integer({ default: 5, minimum: 1, env: 'DEMO_LIMIT' }),
    secret: Type.Optional(Type.String({ env: 'DEMO_SECRET', secret: true, minLength: 8 })),
    mode: Type.Integer({ default: 0o600, env: 'DEMO_MODE', octal: true }),
    names: Type.Array(Type.String(), { default: [], env: 'DEMO_NAMES' }),
  }),
};
const schema = composeSchema([demo]);

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config precedence', () => {
  it('uses defaults when nothing is given', () => {
    const { config } = loadConfig<any>(schema, { env: {}, cwd: mkdtempSync(join(tmpdir(), 'cfg-')) });
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 8000 });
    expect(config.demo).toMatchObject({ enabled: true, limit: 5, mode: 0o600, names: [] });
  });

  it('file beats defaults and env beats file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(
      join(dir, 'elaoms.config.json'),
      JSON.stringify({ server: { port: 9000 }, demo: { limit: 7 } }),
    );
    const fromFile = loadConfig<any>(schema, { env: {}, cwd: dir });
    expect(fromFile.config.server.port).toBe(9000);
    expect(fromFile.config.demo.limit).toBe(7);
    const fromEnv = loadConfig<any>(schema, { env: { PORT: '9100', DEMO_LIMIT: '9' }, cwd: dir });
    expect(fromEnv.config.server.port).toBe(9100);
    expect(fromEnv.config.demo.limit).toBe(9);
    expect(fromEnv.sources.get('server.port')).toBe('env PORT');
  });

  it('finds the file from --config, then ELAOMS_CONFIG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ server: { port: 1111 } }));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ server: { port: 2222 } }));
    const viaEnv = loadConfig<any>(schema, { env: { ELAOMS_CONFIG: 'b.json' }, cwd: dir });
    expect(viaEnv.config.server.port).toBe(2222);
    const viaFlag = loadConfig<any>(schema, {
      env: { ELAOMS_CONFIG: 'b.json' },
      argv: ['--config', 'a.json'],
      cwd: dir,
    });
    expect(viaFlag.config.server.port).toBe(1111);
  });

  it('parses lists, octal modes and booleans from the environment', () => {
    const { config } = loadConfig<any>(schema, {
      env: { DEMO_NAMES: 'a, b,,c', DEMO_MODE: '0640', DEMO_ENABLED: 'false', LOG_PRETTY: 'yes' },
      cwd: mkdtempSync(join(tmpdir(), 'cfg-')),
    });
    expect(config.demo.names).toEqual(['a', 'b', 'c']);
    expect(config.demo.mode).toBe(0o640);
    expect(config.demo.enabled).toBe(false);
    expect(config.log.pretty).toBe(true);
  });
});

describe('config errors', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cfg-'));

  it('names the key, the source and the expected form, one line per problem', () => {
    const issues = issuesOf(() => loadConfig(schema, { env: { PORT: 'eighty', DEMO_LIMIT: '0' }, cwd }));
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatchObject({ key: 'server.port', source: 'env PORT' });
    expect(issues[0]!.message).toContain('expected an integer ≥ 0 and ≤ 65535, got "eighty"');
    expect(issues[1]).toMatchObject({ key: 'demo.limit', source: 'env DEMO_LIMIT' });
    expect(issues[1]!.message).toContain('≥ 1');
  });

  it('rejects an unknown enum value with the allowed ones', () => {
    const [issue] = issuesOf(() => loadConfig(schema, { env: { LOG_LEVEL: 'loud' }, cwd }));
    expect(issue!.key).toBe('log.level');
    expect(issue!.message).toContain('"fatal"');
  });

  it('names each other kind of bad value: a boolean, a URL, a missing file, a --config without a path', () => {
    const [boolean] = issuesOf(() => loadConfig(schema, { env: { LOG_PRETTY: 'maybe' }, cwd }));
    expect(boolean).toMatchObject({ key: 'log.pretty', source: 'env LOG_PRETTY' });
    expect(boolean!.message).toContain('true or false');
    const url = 'rediss//:hunter2@cache.example';
    const [pattern] = issuesOf(() => loadConfig(schema, { env: { REDIS_URL: url }, cwd }));
    expect(pattern).toMatchObject({ key: 'redis.url', source: 'env REDIS_URL' });
    // A Redis URL may carry a password: the value is not repeated.
    expect(JSON.stringify(pattern)).not.toContain('hunter2');
    const [missing] = issuesOf(() => loadConfig(schema, { env: { ELAOMS_CONFIG: 'nowhere.json' }, cwd }));
    expect(missing).toMatchObject({ key: 'config', message: 'file not found' });
    expect(missing!.source).toContain('nowhere.json');
    const [noPath] = issuesOf(() => loadConfig(schema, { env: {}, argv: ['--config'], cwd }));
    expect(noPath).toMatchObject({ key: 'config', message: '--config needs a path' });
  });

  it('rejects unknown keys in the config file', () => {
    const issues = issuesOf(() => loadConfig(schema, { file: { server: { prot: 1 } }, env: {}, cwd }));
    expect(issues[0]!.key).toBe('server.prot');
    expect(issues[0]!.message).toContain('unknown key');
  });

  it('never prints a secret', () => {
    const error = (() => {
      try {
        loadConfig(schema, { env: { DEMO_SECRET: 'short' }, cwd });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toContain('demo.secret (env DEMO_SECRET)');
    expect(error!.message).not.toContain('short');
  });

  it('reports a malformed config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'elaoms.config.json'), '{ not json');
    const [issue] = issuesOf(() => loadConfig(schema, { env: {}, cwd: dir }));
    expect(issue!.source).toBe(`file ${join(dir, 'elaoms.config.json')}`);
    expect(issue!.message).toStartWith('not valid JSON');
  });

  it('never repeats the text of a malformed config file, which may hold a secret', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(
      join(dir, 'elaoms.config.json'),
      '{\n  "hmacAuth": {\n    "secrets": [wsec_supersecret_123]\n  }\n}',
    );
    const error = (() => {
      try {
        loadConfig(schema, { env: {}, cwd: dir });
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.name).toBe('ConfigError');
    expect(error?.message).toContain('not valid JSON');
    expect(error?.message).not.toContain('supersecret');
  });

  it('fails at boot when a plugin needs a disabled plugin, naming the key to set', async () => {
    const base = definePlugin({
      name: 'base',
      configKey: 'base',
      envPrefix: 'BASE',
      schema: Type.Object({}),
      create: () => ({ app: new (require('elysia').Elysia)() }),
    });
    const user = definePlugin({
      name: 'user',
      configKey: 'user',
      envPrefix: 'USER_PLUGIN',
      schema: Type.Object({}),
      needs: ['base'],
      create: () => ({ app: new (require('elysia').Elysia)() }),
    });
    let caught: unknown;
    try {
      await testCore({ plugins: [base, user], config: { base: { enabled: false } } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues[0]!.key).toBe('base.enabled');
    expect((caught as ConfigError).message).toContain('BASE_ENABLED=true');
  });
});

describe('TypeScript config files', () => {
  it('loads elaoms.config.ts written with defineConfig, and env still wins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const define = new URL('../../src/config/define.ts', import.meta.url).pathname;
    writeFileSync(
      join(dir, 'elaoms.config.ts'),
      `import { defineConfig } from '${define}';\nexport default defineConfig({ server: { port: 7001 }, log: { level: 'warn' }, database: { path: ':memory:' } });\n`,
    );
    const { createApp } = await import('../../src/app.ts');
    const core = await createApp({ cwd: dir, env: { LOG_LEVEL: 'error' }, plugins: [] });
    expect(core.config.server.port).toBe(7001);
    expect(core.config.log.level).toBe('error');
    await core.stop();
  });
});
