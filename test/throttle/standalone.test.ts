/** throttle mounted alone in a plain Elysia host: the host's routes under the prefixes are limited. */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { Elysia } from 'elysia';
import { throttlePlugin } from '../../plugins/throttle/index.ts';
import { type Embedded, embed } from '../../src/embed.ts';
import { memoryDestination } from '../../src/log.ts';

describe('throttle in a host app', () => {
  let mounted: Embedded;
  let host: any;
  beforeAll(async () => {
    mounted = await embed([throttlePlugin], {
      config: { throttle: { rateLimit: 2, paths: ['/hooks/'] }, database: { path: ':memory:' } },
      logDestination: memoryDestination(),
    });
    await mounted.start();
    host = new Elysia()
      .use(mounted.app)
      .get('/', () => 'host home')
      .post('/hooks/in', () => ({ ok: true }));
  });
  afterAll(() => mounted.stop());

  it('limits the host route under a configured prefix and leaves the others alone', async () => {
    const hook = () => host.handle(new Request('http://localhost/hooks/in', { method: 'POST' }));
    expect([(await hook()).status, (await hook()).status, (await hook()).status]).toEqual([200, 200, 429]);
    for (let i = 0; i < 4; i++)
      expect((await host.handle(new Request('http://localhost/'))).status).toBe(200);
  });

  it('limits per presented API key without header-auth (counted by hash, not by name)', async () => {
    const alone = await embed([throttlePlugin], {
      config: { throttle: { rateLimitPerApiKey: 1, paths: ['/k/'] }, database: { path: ':memory:' } },
      logDestination: memoryDestination(),
    });
    expect(alone.core.plugins).toEqual(['throttle']);
    const keyed = new Elysia().use(alone.app).get('/k/in', () => 'ok');
    const call = (key: string) =>
      keyed.handle(new Request('http://localhost/k/in', { headers: { 'x-api-key': key } }));
    expect([(await call('key-a')).status, (await call('key-a')).status]).toEqual([200, 429]);
    expect((await call('key-b')).status).toBe(200);
    await alone.stop();
  });
});
