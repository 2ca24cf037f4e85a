import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type KbHarness, kbHarness } from './helpers.ts';

describe('kb-sync admin key (header-auth)', () => {
  let h: KbHarness;
  beforeAll(async () => {
    h = await kbHarness({ start: false });
  });
  afterAll(async () => {
    await h.close();
  });

  const routes: Array<[string, string]> = [
    ['POST', '/api/knowledge'],
    ['GET', '/api/knowledge'],
    ['GET', '/api/knowledge/some-id'],
    ['POST', '/api/knowledge/some-id/retry-sync'],
    ['DELETE', '/api/knowledge/some-id'],
    ['POST', '/api/knowledge/retry-failed'],
  ];
  for (const [method, path] of routes) {
    it(`${method} ${path} needs the admin key`, async () => {
      const init = {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? '{"text":"x"}' : undefined,
      };
      const none = await h.request(path, { ...init, headers: { ...init.headers, 'x-api-key': '' } });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toContain('elaoms');
      const wrong = await h.request(path, { ...init, headers: { ...init.headers, 'x-api-key': 'wrong' } });
      expect(wrong.status).toBe(401);
    });
  }

  it('accepts the key as a Bearer token too, and the page itself is public', async () => {
    const list = await h.request('/api/knowledge', {
      headers: { 'x-api-key': '', authorization: 'Bearer kb-admin-key-for-tests' },
    });
    expect(list.status).toBe(200);
    expect((await h.request('/ui/knowledge', { headers: { 'x-api-key': '' } })).status).toBe(200);
  });

  it('answers 503 when no admin key is configured', async () => {
    const open = await kbHarness({ start: false, config: { headerAuth: { adminKeys: [] } } });
    const response = await open.request('/api/knowledge');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ detail: 'ADMIN_API_KEYS is not configured' });
    await open.close();
  });
});
