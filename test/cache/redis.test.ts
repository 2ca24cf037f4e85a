import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import { Redis } from 'ioredis';
import { REDIS_URL, redisAvailable, uniquePrefix } from '../helpers/redis.ts';
import { bytes, type CacheCore, cacheCore, sameBytes } from './helpers.ts';

describe.skipIf(!redisAvailable)('cache on the real Redis (needs Redis)', () => {
  let admin: Redis;
  let built: CacheCore | undefined;
  let prefix: string;

  beforeAll(() => {
    admin = new Redis(REDIS_URL);
  });
  afterAll(() => admin.disconnect());
  afterEach(async () => {
    await built?.core.stop();
    built = undefined;
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length) await admin.del(...keys);
  });

  async function start(cache: Record<string, unknown> = {}) {
    prefix = uniquePrefix('cache');
    built = await cacheCore({ cache, redis: { url: REDIS_URL, keyPrefix: prefix } });
    await built.core.start();
    return built;
  }

  it('stores in Redis under <keyPrefix>cache: with the configured TTL', async () => {
    const { cache } = await start({ ttlSeconds: 120 });
    const store = cache.store();
    expect(store.kind).toBe('redis');
    await store.set('greeting', 'hello');
    await cache.namespace('audio').set('c1', bytes(3000), 30);
    expect(await admin.get(`${prefix}cache:greeting`)).toBe('hello');
    const ttl = await admin.ttl(`${prefix}cache:greeting`);
    expect(ttl).toBeGreaterThan(110);
    expect(ttl).toBeLessThanOrEqual(120);
    const audioTtl = await admin.ttl(`${prefix}cache:audio:c1`);
    expect(audioTtl).toBeGreaterThan(20);
    expect(audioTtl).toBeLessThanOrEqual(30);
    expect(sameBytes(await admin.getBuffer(`${prefix}cache:audio:c1`), bytes(3000))).toBe(true);
    expect(cache.memory.size).toBe(0);
  });

  it('round-trips megabytes of audio and text, counts hits and misses', async () => {
    const { cache } = await start();
    const store = cache.store();
    await store.set('mp3', bytes(3_000_000));
    expect(sameBytes(await store.get('mp3'), bytes(3_000_000))).toBe(true);
    expect(await store.getText('absent')).toBeNull();
    await store.set('t', 'héllo');
    expect(await store.getText('t')).toBe('héllo');
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 1 });
  });

  it('take is atomic: of many concurrent takers exactly one gets the value', async () => {
    const { cache } = await start();
    const store = cache.store();
    await store.set('once', 'v');
    const results = await Promise.all(Array.from({ length: 20 }, () => store.take('once')));
    expect(results.filter((r) => r !== null).length).toBe(1);
    expect(await admin.exists(`${prefix}cache:once`)).toBe(0);
  });

  it('setIfAbsent stores only the first value; delete removes the key', async () => {
    const { cache } = await start();
    const store = cache.store();
    expect(await store.setIfAbsent('lock', 'a', 10)).toBe(true);
    expect(await store.setIfAbsent('lock', 'b', 10)).toBe(false);
    expect(await store.getText('lock')).toBe('a');
    await store.delete('lock');
    expect(await store.getText('lock')).toBeNull();
  });

  it('is memory only when cache.redisEnabled is false, even with redis.url set', async () => {
    const { cache, request } = await start({ redisEnabled: false });
    await cache.store().set('k', 'v');
    expect(cache.store().kind).toBe('memory');
    expect(await admin.exists(`${prefix}cache:k`)).toBe(0);
    const body = await (await request('/health')).json();
    expect(body.checks.cache.detail).toContain('redisEnabled=false');
  });

  it('reports redis in its health check', async () => {
    const { request } = await start();
    const body = await (await request('/health')).json();
    expect(body.checks.cache).toMatchObject({ status: 'up', required: false, detail: 'redis' });
  });
});
