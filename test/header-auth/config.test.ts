/** Key lists from the environment, fail-closed 503 without keys, bad lists refused at boot. */
import { describe, expect, it } from 'bun:test';
import { keyedCore } from './helpers.ts';

describe('header-auth configuration', () => {
  it('reads comma-separated WEBHOOK_API_KEYS and ADMIN_API_KEYS', async () => {
    const app = await keyedCore(
      {},
      {
        WEBHOOK_API_KEYS: 'a:key_aaaaaaaaaaaaaaaa, b:key_bbbbbbbbbbbbbbbb',
        ADMIN_API_KEYS: 'ops:key_cccccccccccccccc',
      },
    );
    const response = await app.call(
      '/webhooks/client-data',
      { 'x-api-key': 'key_bbbbbbbbbbbbbbbb' },
      '{"caller_id":"1"}',
    );
    expect((await response.json()).caller.name).toBe('b');
    await app.core.stop();
  });

  it('answers 503 naming the setting when a scope has no key, and says so at start', async () => {
    const app = await keyedCore({ webhookKeys: ['w:key_wwwwwwwwwwwwwwww'] });
    const response = await app.call('/admin/stats', { 'x-api-key': 'anything' });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ detail: 'ADMIN_API_KEYS is not configured' });
    expect(app.core.notices).toEqual([
      'header-auth: ADMIN_API_KEYS is not configured; admin routes answer 503',
    ]);
    await app.core.stop();
  });

  it('refuses duplicate names and duplicate keys at boot, naming the setting', async () => {
    await expect(keyedCore({ adminKeys: ['a:k1_xxxxxxxx', 'a:k2_xxxxxxxx'] })).rejects.toThrow(
      'headerAuth.adminKeys (file (inline)): the name a is used twice',
    );
    await expect(keyedCore({}, { WEBHOOK_API_KEYS: 'a:same_key_123,b:same_key_123' })).rejects.toThrow(
      'headerAuth.webhookKeys (env WEBHOOK_API_KEYS): entry 2 repeats a key',
    );
  });
});
