// @deno-skip: Elysia's .listen() (which provides server.requestIP) exists only on Bun; under Deno.serve the host passes the address itself.
import { describe, expect, it } from 'bun:test';
import { Elysia } from 'elysia';
import { throttlePlugin } from '../../plugins/throttle/index.ts';
import { embed } from '../../src/embed.ts';

describe('a mounted plugin behind the host’s own server', () => {
  it('sees the real client address, so per-IP limits do not lump every client together', async () => {
    const mounted = await embed([throttlePlugin], {
      config: { database: { path: ':memory:' }, throttle: { rateLimit: 1 } },
    });
    const hits: string[] = [];
    mounted.core.events.on('ratelimit.hit', (e) => hits.push(e.ip));
    const host = new Elysia()
      .use(mounted.app)
      .post('/webhooks/ping', () => 'pong')
      .listen({ port: 0, hostname: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${host.server!.port}/webhooks/ping`;
      expect((await fetch(url, { method: 'POST' })).status).toBe(200);
      const limited = await fetch(url, { method: 'POST' });
      expect(limited.status).toBe(429);
      expect(hits).toEqual(['127.0.0.1']);
    } finally {
      await host.stop();
      await mounted.stop();
    }
  });
});
