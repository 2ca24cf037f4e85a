/** API keys on routes: valid keys pass with their name as caller, anything else is 401 with a challenge. */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { HeaderAuthService } from '../../plugins/header-auth/index.ts';
import { type KeyedCore, keyedCore } from './helpers.ts';

const WEBHOOK_KEY = 'wk_live_9f8e7d6c5b4a39281706';
const ADMIN_KEY = 'ak_live_0a1b2c3d4e5f60718293';
const BODY = '{"caller_id":"+15550001111"}';

describe('header-auth', () => {
  let app: KeyedCore;
  beforeAll(async () => {
    app = await keyedCore({
      webhookKeys: [`elevenlabs:${WEBHOOK_KEY}`, 'plain_key_without_name_123'],
      adminKeys: [`ops:${ADMIN_KEY}`],
    });
  });
  afterAll(() => app.core.stop());

  it('accepts Authorization: Bearer and x-api-key, and names the caller, never the key', async () => {
    for (const headers of <Array<Record<string, string>>>[
      { authorization: `Bearer ${WEBHOOK_KEY}` },
      { 'x-api-key': WEBHOOK_KEY },
      { authorization: `bearer  ${WEBHOOK_KEY} ` },
    ]) {
      const response = await app.call('/webhooks/client-data', headers, BODY);
      expect(response.status).toBe(200);
      const body = await response.json();
      expect(body.caller).toEqual({ name: 'elevenlabs', scope: 'webhook' });
    }
    expect(JSON.stringify(app.logs)).not.toContain(WEBHOOK_KEY);
  });

  it('identifies a request by its key in any scope, for rate limits that run before routing', () => {
    const service = app.core.service<HeaderAuthService>('header-auth');
    const identify = (headers: Record<string, string>) =>
      service.identify(new Request('http://localhost/anything', { headers }));
    expect(identify({ 'x-api-key': WEBHOOK_KEY })).toEqual({ name: 'elevenlabs', scope: 'webhook' });
    expect(identify({ authorization: `Bearer ${ADMIN_KEY}` })).toEqual({ name: 'ops', scope: 'admin' });
    expect(identify({ 'x-api-key': 'made-up' })).toBe('invalid');
    expect(identify({})).toBeNull();
  });

  it("names the caller in the request's access line at the default level, never the key", async () => {
    const accessLine = (id: string) => app.logs.find((l) => l.msg === 'request' && l.request_id === id);
    const headers = { 'x-api-key': WEBHOOK_KEY, 'x-request-id': 'access-ok' };
    expect((await app.call('/webhooks/client-data', headers, BODY)).status).toBe(200);
    expect(accessLine('access-ok')).toMatchObject({ level: 'info', status: 200, caller: 'elevenlabs' });
    const refused = { 'x-api-key': 'wrong', 'x-request-id': 'access-refused' };
    expect((await app.call('/webhooks/client-data', refused, BODY)).status).toBe(401);
    expect(accessLine('access-refused')).toMatchObject({ status: 401 });
    expect(accessLine('access-refused')!.caller).toBeUndefined();
    expect(JSON.stringify(app.logs)).not.toContain(WEBHOOK_KEY);
  });

  it('names an unnamed key by a short hash', async () => {
    const response = await app.call(
      '/webhooks/client-data',
      { 'x-api-key': 'plain_key_without_name_123' },
      BODY,
    );
    expect((await response.json()).caller.name).toMatch(/^webhook-[0-9a-f]{8}$/);
  });

  it('refuses a missing, wrong, or other-scope key with 401 and WWW-Authenticate', async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['/webhooks/client-data', {}],
      ['/webhooks/client-data', { 'x-api-key': 'wrong' }],
      ['/webhooks/client-data', { authorization: `Basic ${WEBHOOK_KEY}` }],
      ['/webhooks/client-data', { authorization: `Bearer ${ADMIN_KEY}` }],
      ['/webhooks/client-data', { 'x-api-key': WEBHOOK_KEY.slice(0, -1) }],
      ['/admin/stats', { authorization: `Bearer ${WEBHOOK_KEY}` }],
    ];
    for (const [path, headers] of cases) {
      const response = await app.call(path, headers, path.startsWith('/admin') ? undefined : BODY);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ detail: 'Invalid authentication' });
      expect(response.headers.get('www-authenticate')).toStartWith('Bearer realm="elaoms"');
    }
  });

  it('answers 401 before parsing or validating the body', async () => {
    expect((await app.call('/webhooks/client-data', {}, '{"caller_id":')).status).toBe(401);
    expect((await app.call('/webhooks/client-data', {}, '{"nope":1}')).status).toBe(401);
    const valid = { 'x-api-key': WEBHOOK_KEY };
    expect((await app.call('/webhooks/client-data', valid, '{"nope":1}')).status).toBe(422);
  });

  it('lets the admin key into admin routes', async () => {
    const response = await app.call('/admin/stats', { 'x-api-key': ADMIN_KEY });
    expect(await response.json()).toEqual({ caller: { name: 'ops', scope: 'admin' } });
  });

  it('reports failures as auth.failure events and warnings', async () => {
    const seen: Array<{ kind: string; reason: string }> = [];
    const off = app.core.events.on('auth.failure', (e) => seen.push(e));
    await app.call('/admin/stats', { 'x-api-key': 'guess' });
    off();
    expect(seen).toEqual([expect.objectContaining({ kind: 'api-key', reason: 'invalid', ip: 'unknown' })]);
    expect(app.logs.findLast((l) => l.msg === 'api key rejected')).toMatchObject({
      level: 'warn',
      scope: 'admin',
    });
  });

  it('answers 401, never 500, to hostile header values', async () => {
    const hostile: Array<Record<string, string>> = [
      { authorization: `Bearer ${'k'.repeat(100_000)}` },
      { 'x-api-key': 'x'.repeat(100_000) },
      { 'x-api-key': '\u00ff\u00fe\u0001' },
      { authorization: 'Bearer' },
    ];
    for (const headers of hostile) expect((await app.call('/admin/stats', headers)).status).toBe(401);
    const repeated = new Headers();
    repeated.append('x-api-key', ADMIN_KEY);
    repeated.append('x-api-key', ADMIN_KEY);
    const response = await app.core.handle(
      new Request('http://localhost/admin/stats', { headers: repeated }),
    );
    expect(response.status).toBe(401);
  });
});
