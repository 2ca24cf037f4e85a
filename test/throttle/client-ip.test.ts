/**
 * A forged X-Forwarded-For does not dodge the per-IP limit when the peer is not a trusted proxy;
 * served on a real socket, the logged client IP is the peer or, from a trusted proxy, the nearest
 * untrusted hop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { Elysia } from 'elysia';
import { throttlePlugin } from '../../plugins/throttle/index.ts';
import { type Embedded, embed } from '../../src/embed.ts';
import { memoryDestination } from '../../src/log.ts';
import { serveCore } from '../../src/server.ts';
import { testCore } from '../helpers/core.ts';

describe('throttle and the client IP', () => {
  let mounted: Embedded;
  let host: any;
  beforeAll(async () => {
    mounted = await embed([throttlePlugin], {
      config: { throttle: { rateLimit: 2 }, database: { path: ':memory:' } },
      logDestination: memoryDestination(),
    });
    host = new Elysia().use(mounted.app).post('/webhooks/x', () => 'ok');
  });
  afterAll(() => mounted.stop());

  it('ignores X-Forwarded-For from an untrusted peer', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const request = new Request('http://localhost/webhooks/x', {
        method: 'POST',
        headers: { 'x-forwarded-for': `198.51.100.${i}` },
      });
      statuses.push((await host.handle(request)).status);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });
});

describe('throttle and the client IP, served on a real socket', () => {
  async function served(trustedProxies: string[]) {
    const { core, logs } = await testCore({
      plugins: [throttlePlugin],
      config: { server: { trustedProxies }, throttle: { rateLimit: 1 } },
    });
    const { server, shutdown } = await serveCore(core, { hostname: '127.0.0.1', port: 0 });
    const call = async (headers: Record<string, string> = {}) => {
      const response = await fetch(new URL('/webhooks/none', server.url), { method: 'POST', headers });
      await response.body?.cancel();
      return response.status;
    };
    return { logs, call, shutdown };
  }
  const accessIps = (logs: Array<Record<string, any>>) =>
    logs.filter((l) => l.msg === 'request').map((l) => l.client_ip);

  it('logs and limits the socket address, and ignores X-Forwarded-For from an untrusted peer', async () => {
    const { logs, call, shutdown } = await served([]);
    try {
      expect(await call({ 'x-forwarded-for': '9.9.9.9' })).toBe(404);
      expect(await call({ 'x-forwarded-for': '8.8.8.8' })).toBe(429);
      expect(accessIps(logs)).toEqual(['127.0.0.1', '127.0.0.1']);
      expect(logs.find((l) => l.msg === 'rate limit hit')?.client_ip).toBe('127.0.0.1');
    } finally {
      await shutdown();
    }
  });

  it('takes the nearest untrusted hop of X-Forwarded-For from a trusted proxy', async () => {
    const { logs, call, shutdown } = await served(['127.0.0.1']);
    try {
      expect(await call({ 'x-forwarded-for': '9.9.9.9, 8.8.8.8' })).toBe(404);
      // Another client behind the same proxy has its own bucket.
      expect(await call({ 'x-forwarded-for': '9.9.9.9, 7.7.7.7' })).toBe(404);
      expect(await call({ 'x-forwarded-for': '9.9.9.9, 8.8.8.8' })).toBe(429);
      expect(accessIps(logs)).toEqual(['8.8.8.8', '7.7.7.7', '8.8.8.8']);
    } finally {
      await shutdown();
    }
  });
});
