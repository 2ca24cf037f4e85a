/** Rate limits per IP, user agent and API key, in memory and on the real Redis (PERF-3). */
import { afterEach, describe, expect, it } from 'bun:test';
import { redisAvailable } from '../helpers/redis.ts';
import { BACKENDS, type ThrottleCore, throttleCore } from './helpers.ts';

for (const backend of BACKENDS) {
  const suite = backend.redis ? describe.skipIf(!redisAvailable) : describe;
  suite(`rate limits (${backend.name}${backend.redis ? ', needs Redis' : ''})`, () => {
    let app: ThrottleCore | undefined;
    afterEach(async () => {
      await app?.core.stop();
      app = undefined;
    });
    const make = (config: Record<string, unknown>) =>
      throttleCore(config, backend.redis).then((a) => (app = a));

    it('limits each client IP, with Retry-After and RateLimit headers, logged and counted', async () => {
      const { call, logs, core } = await make({ rateLimit: 3 });
      for (let i = 0; i < 3; i++) {
        const ok = await call('/webhooks/ping', '203.0.113.1');
        expect(ok.status).toBe(200);
        expect(ok.headers.get('ratelimit-remaining')).toBe(String(2 - i));
      }
      const limited = await call('/webhooks/ping', '203.0.113.1');
      expect(limited.status).toBe(429);
      expect(await limited.json()).toEqual({ detail: 'Too many requests' });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.headers.get('ratelimit-limit')).toBe('3');
      expect(limited.headers.get('ratelimit-remaining')).toBe('0');
      expect(limited.headers.get('ratelimit-policy')).toBe('3;w=60');
      expect((await call('/webhooks/ping', '203.0.113.2')).status).toBe(200);
      expect(logs.find((l) => l.msg === 'rate limit hit')).toMatchObject({
        level: 'warn',
        dimension: 'ip',
        client_ip: '203.0.113.1',
      });
      expect(await core.metrics.metrics()).toContain('elaoms_rate_limit_hits_total{dimension="ip"} 1');
    });

    it('leaves paths outside the prefixes alone', async () => {
      const { call } = await make({ rateLimit: 1 });
      for (let i = 0; i < 5; i++) expect((await call('/open', '203.0.113.3')).status).toBe(200);
    });

    it('limits a user agent across IPs', async () => {
      const { call } = await make({ rateLimitPerUserAgent: 2 });
      const ua = { 'user-agent': 'evil-bot/1.0' };
      expect((await call('/webhooks/ping', '198.51.100.1', ua)).status).toBe(200);
      expect((await call('/webhooks/ping', '198.51.100.2', ua)).status).toBe(200);
      expect((await call('/webhooks/ping', '198.51.100.3', ua)).status).toBe(429);
      expect((await call('/webhooks/ping', '198.51.100.3', { 'user-agent': 'other/2' })).status).toBe(200);
    });

    it('limits an API key across IPs and never stores or logs the key', async () => {
      const { call, logs, prefix } = await make({ rateLimitPerApiKey: 2 });
      const key = { authorization: 'Bearer ak_throttle_test_0123456789' };
      expect((await call('/admin/stats', '198.51.100.1', key)).status).toBe(200);
      expect(
        (await call('/admin/stats', '198.51.100.2', { 'x-api-key': 'ak_throttle_test_0123456789' })).status,
      ).toBe(200);
      const limited = await call('/admin/stats', '198.51.100.3', key);
      expect(limited.status).toBe(429);
      expect(logs.findLast((l) => l.msg === 'rate limit hit')?.dimension).toBe('api_key');
      expect(JSON.stringify(logs)).not.toContain('ak_throttle_test_0123456789');
      if (backend.redis) {
        // KEYS is not prefixed by ioredis: ask for this test's prefix. The bucket is the key's name.
        const keys = await app!.core.redis!.keys(`${prefix}*`);
        expect(keys.some((k) => k.startsWith(`${prefix}throttle:rl:api_key:ops`))).toBe(true);
        expect(keys.join(' ')).not.toContain('ak_throttle_test');
      }
    });

    it('counts every invented key in one shared bucket, apart from the real callers', async () => {
      const { call, logs, prefix } = await make({ rateLimitPerApiKey: 2 });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await call('/admin/stats', `198.51.100.${i}`, { 'x-api-key': `guess-${i}` })).status);
      expect(statuses).toEqual([401, 401, 429, 429, 429, 429]);
      // The real key has its own bucket, and the 429 line names its caller.
      const real = { 'x-api-key': 'ak_throttle_test_0123456789' };
      expect((await call('/admin/stats', '198.51.100.9', real)).status).toBe(200);
      expect((await call('/admin/stats', '198.51.100.9', real)).status).toBe(200);
      expect((await call('/admin/stats', '198.51.100.9', real)).status).toBe(429);
      expect(logs.findLast((l) => l.msg === 'rate limit hit')).toMatchObject({ caller: 'ops' });
      // No key at all (a signed webhook): no api_key limit.
      for (let i = 0; i < 4; i++) expect((await call('/webhooks/ping', '198.51.100.20')).status).toBe(200);
      expect(JSON.stringify(logs)).not.toContain('guess-');
      if (backend.redis) {
        const keys = await app!.core.redis!.keys(`${prefix}throttle:rl:api_key*`);
        expect(keys.map((k) => k.slice(prefix.length).split(':')[3]).sort()).toEqual(['ops', '~invalid']);
      }
    });

    it('lets requests through again when the window ends, on the injected clock', async () => {
      const { call, clock } = await make({ rateLimit: 1, windowSeconds: 10 });
      clock.advance(2_500);
      const first = await call('/webhooks/ping', '192.0.2.9');
      expect(first.status).toBe(200);
      expect(first.headers.get('ratelimit-reset')).toBe('8');
      clock.advance(7_499);
      const limited = await call('/webhooks/ping', '192.0.2.9');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
      clock.advance(1);
      expect((await call('/webhooks/ping', '192.0.2.9')).status).toBe(200);
      expect((await call('/webhooks/ping', '192.0.2.9')).status).toBe(429);
    });

    it('limits nothing when no limit is set', async () => {
      const { call } = await make({});
      for (let i = 0; i < 30; i++) expect((await call('/webhooks/ping', '192.0.2.10')).status).toBe(200);
    });
  });
}
