import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { Elysia } from 'elysia';
import { headerAuthPlugin } from '../../plugins/header-auth/index.ts';
import { kbSync, kbSyncPlugin } from '../../plugins/kb-sync/index.ts';
import { embed } from '../../src/embed.ts';
import { memoryDestination } from '../../src/log.ts';
import { type ElevenLabsFake, startElevenLabsFake } from '../fakes/elevenlabs.ts';

describe('kb-sync mounted alone in a plain Elysia host', () => {
  let fake: ElevenLabsFake;
  beforeAll(async () => {
    fake = await startElevenLabsFake();
  });
  afterAll(async () => {
    await fake.close();
  });

  it('serves its routes beside the host route and syncs in the background', async () => {
    const mounted = await embed([kbSyncPlugin], {
      available: [headerAuthPlugin],
      config: {
        database: { path: ':memory:' },
        headerAuth: { adminKeys: ['host-admin-key'] },
        elevenlabs: { apiKey: fake.apiKey, baseUrl: fake.url },
        kbSync: { pollIntervalMs: 50 },
      },
      logDestination: memoryDestination(),
    });
    const host = new Elysia().get('/hello', () => 'host route').use(mounted.app);
    await mounted.start();
    const handle = (path: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set('x-api-key', 'host-admin-key');
      return host.handle(new Request(`http://localhost${path}`, { ...init, headers }));
    };

    expect(await (await handle('/hello')).text()).toBe('host route');
    const created = await handle('/api/knowledge', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'embedded' }),
    });
    expect(created.status).toBe(201);
    const { id } = await created.json();
    await mounted.core.service<{ settle(): Promise<void> }>('kb-sync').settle();
    expect((await (await handle(`/api/knowledge/${id}`)).json()).sync_status).toBe('completed');
    expect((await handle('/ui/knowledge')).status).toBe(200);
    expect((await handle('/api/knowledge/nope')).status).toBe(404);
    await mounted.stop();
  });

  it('kbSync() gives an app whose admin routes are closed until ADMIN_API_KEYS is set', async () => {
    const app = await kbSync({
      config: { database: { path: ':memory:' } },
      logDestination: memoryDestination(),
    });
    const host = new Elysia().use(app);
    const response = await host.handle(new Request('http://localhost/api/knowledge'));
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ detail: 'ADMIN_API_KEYS is not configured' });
  });
});
