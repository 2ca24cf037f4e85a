/** A value that passes the schema but that a plugin refuses at start still stops boot as a config error. */
import { describe, expect, it } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headerAuthPlugin } from '../../plugins/header-auth/index.ts';
import { hmacAuthPlugin } from '../../plugins/hmac-auth/index.ts';
import { ConfigError } from '../../src/config/index.ts';
import { createCore } from '../../src/core.ts';
import { memoryDestination } from '../../src/log.ts';

async function bootError(env: Record<string, string>, config?: Record<string, unknown>) {
  try {
    const core = await createCore({
      ...(config ? { config } : {}),
      plugins: [hmacAuthPlugin, headerAuthPlugin],
      env: { DATABASE_PATH: ':memory:', ...env },
      argv: [],
      cwd: mkdtempSync(join(tmpdir(), 'setting-')),
      logDestination: memoryDestination(),
    });
    await core.stop();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('boot did not fail');
}

/** The config file named in the issue's source when a test passes the config as an object. */
const INLINE = 'file (inline)';

describe('settings refused by a plugin at start', () => {
  it('names the key and the variable of a key list with a name used twice, never the keys', async () => {
    const error = await bootError({
      WEBHOOK_API_KEYS: 'a:key_one_0123456789abcdef,a:key_two_0123456789abcdef',
    });
    expect(error.issues).toEqual([
      { key: 'headerAuth.webhookKeys', source: 'env WEBHOOK_API_KEYS', message: 'the name a is used twice' },
    ]);
    expect(error.message).not.toContain('key_one');
  });

  it('names the secret setting when a secret has stray whitespace', async () => {
    const config = { database: { path: ':memory:' }, hmacAuth: { secrets: [' wsec_first_0123456789 '] } };
    const error = await bootError({}, config);
    expect(error.issues[0]).toMatchObject({ key: 'hmacAuth.secrets', source: INLINE });
    expect(error.message).not.toContain('wsec_first');
  });

  it('names database.path when its folder cannot be created', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'setting-')), 'plain-file');
    writeFileSync(file, 'not a folder');
    const error = await bootError({ DATABASE_PATH: join(file, 'elaoms.db') });
    expect(error.issues[0]).toMatchObject({ key: 'database.path', source: 'env DATABASE_PATH' });
    expect(error.issues[0]!.message).toContain(`cannot open ${join(file, 'elaoms.db')}`);
  });
});
