import { describe, expect, it } from 'bun:test';
import { Elysia } from 'elysia';
import { type CacheService, cache, cachePlugin } from '../../plugins/cache/index.ts';
import { embed } from '../../src/embed.ts';
import { memoryDestination } from '../../src/log.ts';

describe('cache mounted alone in a plain Elysia host', () => {
  it('keeps the host route working and gives host routes the cache decorator', async () => {
    const mounted = await embed([cachePlugin], {
      config: { database: { path: ':memory:' } },
      logDestination: memoryDestination(),
    });
    await mounted.start();
    try {
      const host = new Elysia()
        .get('/host', () => ({ host: true }))
        .use(mounted.app)
        .get('/remember/:key/:value', async ({ params, ...context }) => {
          const { cache: service } = context as unknown as { cache: CacheService };
          await service.store().set(params.key, params.value);
          return { stored: await service.store().getText(params.key), kind: service.store().kind };
        });
      const own = await host.handle(new Request('http://localhost/host'));
      expect(own.status).toBe(200);
      expect(await own.json()).toEqual({ host: true });
      const stored = await host.handle(new Request('http://localhost/remember/colour/blue'));
      expect(await stored.json()).toEqual({ stored: 'blue', kind: 'memory' });
      expect(mounted.core.service<CacheService>('cache').stats().hits).toBe(1);
      expect((await host.handle(new Request('http://localhost/health'))).status).toBe(404);
    } finally {
      await mounted.stop();
    }
  });

  it('has a standalone factory returning an Elysia instance', async () => {
    const app = await cache({
      config: { database: { path: ':memory:' } },
      logDestination: memoryDestination(),
    });
    const host = new Elysia().get('/ping', () => 'pong').use(app);
    const response = await host.handle(new Request('http://localhost/ping'));
    expect(await response.text()).toBe('pong');
  });
});
