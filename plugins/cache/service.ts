/**
 * The cache service: one CacheStore interface over Redis (the core's shared connection) and a
 * bounded memory store, switching to memory while Redis is down. Runtime-agnostic: clock, logger,
 * Redis and metrics are injected; the expired-entry sweep runs only between start() and stop().
 */
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Clock } from '../../src/clock.ts';
import type { Logger } from '../../src/log.ts';
import type { HealthCheck } from '../../src/plugin.ts';
import type { CacheConfig } from './config.ts';
import { FallbackStore } from './fallback-store.ts';
import { MemoryStore } from './memory-store.ts';
import { type CacheMetrics, cacheMetrics } from './metrics.ts';
import { PrefixedStore } from './prefixed-store.ts';
import { RedisStore } from './redis-store.ts';
import type { CacheService, CacheStats, CacheStore } from './types.ts';

export interface CacheServiceOptions {
  config: CacheConfig;
  /** The shared connection (ctx.redis), or null for memory only. */
  redis: Redis | null;
  clock: Clock;
  logger: Logger;
  metrics?: Registry;
}

/** The service plus what the plugin and tests drive: lifecycle, health, the memory store. */
export interface CacheRuntime extends CacheService {
  /** The memory store itself (its `sweep(nowMs)` is what the timer runs). */
  readonly memory: MemoryStore;
  /** Removes expired memory entries now; returns how many. */
  sweep(nowMs?: number): number;
  /** Waits for the first Redis connection attempt, then sweeps every `sweepIntervalSeconds`. */
  start(): Promise<void>;
  /** Stops the sweep, stops listening to Redis, empties memory. */
  stop(): void;
  health(): HealthCheck;
}

/** Builds the cache service from its config section and the core's Redis connection. */
export function createCacheService(options: CacheServiceOptions): CacheRuntime {
  const { config, clock, logger } = options;
  const stats: CacheStats = { hits: 0, misses: 0, expirations: 0, evictions: 0 };
  const metrics: CacheMetrics | undefined = options.metrics ? cacheMetrics(options.metrics) : undefined;
  const memory = new MemoryStore({
    clock,
    ttlSeconds: config.ttlSeconds,
    maxEntries: config.maxEntries,
    maxBytes: config.maxBytes,
    onExpire(count) {
      stats.expirations += count;
      metrics?.expirations.inc(count);
    },
    onEvict(count) {
      stats.evictions += count;
      metrics?.evictions.inc(count);
    },
  });
  const client = config.redisEnabled ? options.redis : null;
  const store = new FallbackStore({
    memory,
    redis: client ? { client, store: new RedisStore(client, config.ttlSeconds) } : null,
    logger,
    stats,
    metrics,
  });
  const onReady = () => store.recovered();
  let timer: ReturnType<typeof setInterval> | undefined;

  function sweep(nowMs?: number): number {
    const removed = memory.sweep(nowMs ?? clock.now());
    metrics?.entries.set(memory.size);
    metrics?.bytes.set(memory.bytes);
    return removed;
  }

  return {
    memory,
    audioTtlSeconds: config.audioTtlSeconds,
    store: () => store,
    namespace: (namespace) => new PrefixedStore(store, namespace),
    stats: () => ({ ...stats }),
    sweep,
    async start() {
      client?.on('ready', onReady);
      await store.settled();
      if (timer) return;
      timer = setInterval(function sweepExpired() {
        sweep();
      }, config.sweepIntervalSeconds * 1000);
      (timer as { unref?: () => void }).unref?.();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      client?.off('ready', onReady);
      memory.clear();
    },
    health() {
      if (!client) {
        const why = options.redis ? 'redis caching disabled (cache.redisEnabled=false)' : 'no redis.url';
        return { status: 'up', required: false, detail: `memory store, per process: ${why}` };
      }
      if (!store.degraded) return { status: 'up', required: false, detail: 'redis' };
      return {
        status: 'degraded',
        required: false,
        detail: `redis ${client.status}; serving from the memory store`,
      };
    },
  };
}

export type { CacheService, CacheStore };
