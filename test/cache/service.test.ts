import { afterEach, describe, expect, it } from 'bun:test';
import { Value } from '@sinclair/typebox/value';
import { CacheConfig, createCacheService } from '../../plugins/cache/index.ts';
import { manualClock } from '../../src/clock.ts';
import { createLogger, memoryDestination } from '../../src/log.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { CacheCore } from './helpers.ts';
import { cacheCore } from './helpers.ts';

let built: CacheCore | undefined;
afterEach(async () => {
  await built?.core.stop();
  built = undefined;
});

describe('cache service without Redis', () => {
  it('serves from memory and counts hits, misses and expirations in stats() and metrics', async () => {
    built = await cacheCore({ cache: { ttlSeconds: 5 } });
    const { cache, core } = built;
    const store = cache.store();
    expect(store.kind).toBe('memory');
    await store.set('k', 'v');
    expect(await store.getText('k')).toBe('v');
    expect(await store.getText('nope')).toBeNull();
    await store.set('old', 'x', 1);
    expect(cache.sweep(Date.now() + 1_001)).toBe(1);
    expect(await store.getText('old')).toBeNull();
    expect(cache.stats()).toEqual({ hits: 1, misses: 2, expirations: 1, evictions: 0 });
    const text = await core.metrics.metrics();
    expect(text).toContain('elaoms_cache_hits_total{store="memory"} 1');
    expect(text).toContain('elaoms_cache_misses_total{store="memory"} 2');
    expect(text).toContain('elaoms_cache_expirations_total 1');
    expect(text).toContain('elaoms_cache_memory_entries 1');
  });

  it('namespaces keep their keys apart', async () => {
    built = await cacheCore();
    const a = built.cache.namespace('a');
    const b = built.cache.namespace('b');
    await a.set('k', 'from a');
    expect(await b.getText('k')).toBeNull();
    expect(await a.getText('k')).toBe('from a');
    expect(await built.cache.store().getText('a:k')).toBe('from a');
    expect(a.kind).toBe('memory');
  });

  it('reads REDIS_TTL, AUDIO_CACHE_TTL and the memory bounds from the environment', async () => {
    const { testCore } = await import('../helpers/core.ts');
    const { cachePlugin } = await import('../../plugins/cache/index.ts');
    const t = await testCore({
      plugins: [cachePlugin],
      env: { REDIS_TTL: '120', AUDIO_CACHE_TTL: '900', CACHE_MAX_ENTRIES: '3', CACHE_REDIS_ENABLED: 'false' },
    });
    try {
      expect(t.core.config.cache).toMatchObject({
        ttlSeconds: 120,
        audioTtlSeconds: 900,
        maxEntries: 3,
        redisEnabled: false,
        maxBytes: 268435456,
        sweepIntervalSeconds: 60,
      });
      expect(t.core.service<{ audioTtlSeconds: number }>('cache').audioTtlSeconds).toBe(900);
    } finally {
      await t.core.stop();
    }
  });

  it('defaults both TTLs to one hour', async () => {
    built = await cacheCore();
    expect(built.core.config.cache.ttlSeconds).toBe(3600);
    expect(built.core.config.cache.audioTtlSeconds).toBe(3600);
  });

  it('reports a cache health check that is not required, and a banner notice', async () => {
    built = await cacheCore();
    const response = await built.request('/health');
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.checks.cache).toMatchObject({ status: 'up', required: false });
    expect(body.checks.cache.detail).toContain('memory');
    expect(built.core.notices.join('\n')).toContain('REDIS_URL not set');
  });

  it('sweeps expired entries on a timer between start() and stop()', async () => {
    const clock = manualClock();
    const logs = memoryDestination();
    const cache = createCacheService({
      config: { ...(Value.Default(CacheConfig, {}) as CacheConfig), sweepIntervalSeconds: 0.02 },
      redis: null,
      clock,
      logger: createLogger({ level: 'info', pretty: false, destination: logs }),
    });
    await cache.start();
    try {
      await cache.store().set('gone', 'x', 1);
      await cache.store().set('kept', 'y', 60);
      clock.advance(1_000);
      await waitUntil(() => cache.memory.size <= 1);
      expect(cache.memory.size).toBe(1);
      expect(cache.stats().expirations).toBe(1);
      expect(await cache.store().getText('kept')).toBe('y');
    } finally {
      cache.stop();
    }
    expect(cache.memory.size).toBe(0);
  });
});
