import { afterEach, describe, expect, it } from 'bun:test';
import { Redis } from 'ioredis';
import { REDIS_URL, redisAvailable, uniquePrefix } from '../helpers/redis.ts';
import { type CacheCore, cacheCore, linesWith } from './helpers.ts';

const DOWN = 'redis unavailable; cache entries go to memory until it returns';
const BACK = 'redis back; cache entries go to redis again';

const cores: CacheCore[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) await c.core.stop();
});

async function track(built: Promise<CacheCore>) {
  const c = await built;
  cores.push(c);
  return c;
}

function once(client: Redis, event: string): Promise<void> {
  return new Promise((resolve) => client.once(event, () => resolve()));
}

describe('Redis down at start', () => {
  it('serves from memory, never throws, logs the switch once, reports degraded health', async () => {
    const { cache, logs, request } = await track(cacheCore({ redis: { url: 'redis://127.0.0.1:1' } }));
    const store = cache.store();
    await store.set('a', '1');
    await store.set('b', '2');
    expect(await store.getText('a')).toBe('1');
    expect(await store.take('b')).not.toBeNull();
    expect(await store.setIfAbsent('a', 'x')).toBe(false);
    await store.delete('a');
    expect(await store.getText('a')).toBeNull();
    expect(store.kind).toBe('memory');
    expect(linesWith(logs, DOWN).length).toBe(1);
    expect(linesWith(logs, DOWN)[0]).toMatchObject({ level: 'warn', plugin: 'cache' });
    const body = await (await request('/health')).json();
    expect(body.checks.cache.status).toBe('degraded');
    expect(body.checks.cache.required).toBe(false);
  });
});

describe.skipIf(!redisAvailable)('Redis lost mid-run (needs Redis)', () => {
  it('falls back to memory when the connection ends, and returns to Redis when it is back', async () => {
    const keyPrefix = uniquePrefix('cache-fallback');
    const a = await track(cacheCore({ redis: { url: REDIS_URL, keyPrefix } }));
    const b = await track(cacheCore({ redis: { url: REDIS_URL, keyPrefix } }));
    await a.core.start();
    await b.core.start();
    const redis = a.core.redis!;
    const store = a.cache.store();
    await store.set('before', 'shared');
    expect(await b.cache.store().getText('before')).toBe('shared');

    const ended = once(redis, 'end');
    redis.disconnect();
    await store.set('during', 'local');
    await store.set('during2', 'local');
    expect(await store.getText('during')).toBe('local');
    expect(store.kind).toBe('memory');
    expect(linesWith(a.logs, DOWN).length).toBe(1);
    expect(a.cache.health().status).toBe('degraded');
    // written while Redis was down: only this instance has it
    expect(await b.cache.store().getText('during')).toBeNull();

    await ended;
    const ready = once(redis, 'ready');
    await redis.connect();
    await ready;
    expect(linesWith(a.logs, BACK).length).toBe(1);
    await store.set('after', 'shared again');
    expect(store.kind).toBe('redis');
    expect(await b.cache.store().getText('after')).toBe('shared again');
    // this instance still finds what it wrote to memory during the outage
    expect(await store.getText('during')).toBe('local');
    expect(a.cache.health().status).toBe('up');
    expect(linesWith(a.logs, DOWN).length).toBe(1);
    expect(linesWith(a.logs, BACK).length).toBe(1);
    expect(linesWith(b.logs, DOWN).length).toBe(0);
    await redis.del('cache:before', 'cache:after');
  });

  it('survives its connection being killed by the server (CLIENT KILL)', async () => {
    const keyPrefix = uniquePrefix('cache-kill');
    const a = await track(cacheCore({ redis: { url: REDIS_URL, keyPrefix } }));
    await a.core.start();
    const redis = a.core.redis!;
    const id = (await redis.client('ID')) as number;
    const admin = new Redis(REDIS_URL);
    try {
      const closed = once(redis, 'close');
      await admin.client('KILL', 'ID', String(id));
      await closed;
      await a.cache.store().set('k', 'while down');
      expect(await a.cache.store().getText('k')).toBe('while down');
      expect(linesWith(a.logs, DOWN).length).toBe(1);
      await once(redis, 'ready');
      await a.cache.store().set('k2', 'back');
      expect(await admin.get(`${keyPrefix}cache:k2`)).toBe('back');
      expect(linesWith(a.logs, BACK).length).toBe(1);
      await admin.del(`${keyPrefix}cache:k2`);
    } finally {
      admin.disconnect();
    }
  });
});
