/**
 * Redis dropped mid-run: limits and anomaly windows go on in memory (logged once, never a 500,
 * never unlimited), and go back to Redis when the connection returns.
 */
import { afterEach, describe, expect, it } from 'bun:test';
import { redisAvailable } from '../helpers/redis.ts';
import { redisReady, type ThrottleCore, throttleCore } from './helpers.ts';

describe.skipIf(!redisAvailable)('throttle when Redis drops (needs Redis)', () => {
  let app: ThrottleCore;
  afterEach(() => app?.core.stop());

  it('falls back to memory, logs it once, and returns to Redis', async () => {
    app = await throttleCore({ rateLimit: 3, anomalyFailureThreshold: 2 }, true);
    const { call, core, logs } = app;
    const ip = '203.0.113.50';
    const statuses = async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await call('/webhooks/ping', ip)).status);
      return out;
    };

    expect(await statuses(4)).toEqual([200, 200, 200, 429]);
    const counted = await core.redis!.keys(`${app.prefix}throttle:rl:ip*`);
    expect(counted).toHaveLength(1);

    core.redis!.disconnect();
    while (core.redis!.status !== 'end') await new Promise((r) => setTimeout(r, 5));
    // Memory takes over at once: still limited (its own count starts afresh), never a 500.
    expect(await statuses(5)).toEqual([200, 200, 200, 429, 429]);
    const fallbackLines = logs.filter((l) => l.msg?.startsWith('throttle: Redis unavailable'));
    expect(fallbackLines).toHaveLength(1);
    expect(fallbackLines[0]!.level).toBe('warn');
    // Anomaly windows also work from memory meanwhile.
    await call('/admin/stats', '203.0.113.51', { 'x-api-key': 'wrong' });
    await call('/admin/stats', '203.0.113.51', { 'x-api-key': 'wrong' });
    await app.settled();
    expect(
      logs.filter((l) => l.msg === 'anomaly detected' && l.anomaly_type === 'auth_failure'),
    ).toHaveLength(1);

    await core.redis!.connect();
    await redisReady(core);
    // Back on Redis: its count for this IP is still over the limit, so the first request is 429.
    expect(await statuses(1)).toEqual([429]);
    expect(logs.filter((l) => l.msg?.startsWith('throttle: Redis is back'))).toHaveLength(1);
    expect(await core.redis!.get(counted[0]!.slice(app.prefix.length))).toBe('5');
  });

  it('reports a failed command on a connection that still says ready: logged once, /health degraded', async () => {
    app = await throttleCore({ rateLimit: 3 }, true);
    const { call, core, logs, prefix } = app;
    const ip = '203.0.113.60';
    expect((await call('/webhooks/ping', ip)).status).toBe(200);
    // Replace the IP's counter with a hash: the limiter's INCRBY now fails with WRONGTYPE.
    const [counter] = await core.redis!.keys(`${prefix}throttle:rl:ip:${ip}*`);
    const key = counter!.slice(prefix.length);
    await core.redis!.del(key);
    await core.redis!.hset(key, 'not', 'a counter');
    expect(core.redis!.status).toBe('ready');

    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('/webhooks/ping', ip)).status);
    // The insurance (memory) answers, starting afresh: limited, never a 500.
    expect(statuses).toEqual([200, 200, 200, 429]);
    const fallbackLines = logs.filter((l) => l.msg?.startsWith('throttle: Redis unavailable'));
    expect(fallbackLines).toHaveLength(1);
    expect(fallbackLines[0]).toMatchObject({ level: 'warn', store: 'memory' });
    const health = await (await core.handle(new Request('http://localhost/health'))).json();
    expect(health.checks.throttle).toMatchObject({
      status: 'degraded',
      detail: 'counting in memory-fallback',
    });
    expect(health.checks.redis.status).toBe('up');
    expect(await core.redis!.type(key)).toBe('hash');
  });
});
