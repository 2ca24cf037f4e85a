/**
 * The store the service hands out: Redis while its connection is ready, memory otherwise.
 * A Redis failure never reaches the caller: the call is served from memory, the switch is logged
 * once, and the next call after Redis is ready again goes back to it (also logged once).
 * Entries written to memory during an outage are only visible to this instance; reads that miss
 * in Redis look in memory too, so this instance still finds them after Redis returns.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../src/log.ts';
import type { MemoryStore } from './memory-store.ts';
import type { CacheMetrics } from './metrics.ts';
import type { RedisStore } from './redis-store.ts';
import type { CacheStats, CacheStore } from './types.ts';

/** Longest a call waits for the first connection attempt (the core's connectTimeout is 2 s). */
const INITIAL_CONNECT_WAIT_MS = 2500;

export interface FallbackStoreOptions {
  memory: MemoryStore;
  /** null: memory only (no redis.url, or cache.redisEnabled=false). */
  redis: { client: Redis; store: RedisStore } | null;
  logger: Logger;
  stats: CacheStats;
  metrics?: CacheMetrics;
}

/** Redis first, memory when Redis is not ready or a command fails; counts hits and misses. */
export class FallbackStore implements CacheStore {
  private fallingBack = false;
  private initial: Promise<void> | undefined;

  constructor(private readonly options: FallbackStoreOptions) {
    const client = options.redis?.client;
    if (client && ['wait', 'connecting', 'connect'].includes(client.status)) {
      this.initial = firstOutcome(client, INITIAL_CONNECT_WAIT_MS).then(() => {
        this.initial = undefined;
      });
    }
  }

  get kind(): CacheStore['kind'] {
    return this.options.redis?.client.status === 'ready' && !this.fallingBack ? 'redis' : 'memory';
  }

  /** True while Redis is configured but the memory store is serving in its place. */
  get degraded(): boolean {
    return !!this.options.redis && (this.fallingBack || this.options.redis.client.status !== 'ready');
  }

  /** Resolves once the first connection attempt has succeeded or failed (bounded). */
  async settled(): Promise<void> {
    await this.initial;
  }

  /** Redis says it is ready: the next calls go there; logged once per outage. */
  recovered(): void {
    if (!this.fallingBack) return;
    this.fallingBack = false;
    this.options.metrics?.fallback.set(0);
    this.options.logger.info('redis back; cache entries go to redis again');
  }

  async get(key: string): Promise<Uint8Array | null> {
    const { memory } = this.options;
    const value = await this.run(
      async (redis) => (await redis.get(key)) ?? (memory.has(key) ? memory.get(key) : null),
      () => memory.get(key),
    );
    return this.count(value);
  }

  async getText(key: string): Promise<string | null> {
    const { memory } = this.options;
    const value = await this.run(
      async (redis) => (await redis.getText(key)) ?? (memory.has(key) ? memory.getText(key) : null),
      () => memory.getText(key),
    );
    return this.count(value);
  }

  async set(key: string, value: Uint8Array | string, ttlSeconds?: number): Promise<void> {
    const { memory } = this.options;
    await this.run(
      async (redis) => {
        await redis.set(key, value, ttlSeconds);
        await memory.delete(key);
      },
      () => memory.set(key, value, ttlSeconds),
    );
  }

  async setIfAbsent(key: string, value: Uint8Array | string, ttlSeconds?: number): Promise<boolean> {
    const { memory } = this.options;
    return await this.run(
      async (redis) => !memory.has(key) && (await redis.setIfAbsent(key, value, ttlSeconds)),
      () => memory.setIfAbsent(key, value, ttlSeconds),
    );
  }

  async take(key: string): Promise<Uint8Array | null> {
    const { memory } = this.options;
    const value = await this.run(
      async (redis) => (await redis.take(key)) ?? (memory.has(key) ? memory.take(key) : null),
      () => memory.take(key),
    );
    return this.count(value);
  }

  async delete(key: string): Promise<void> {
    const { memory } = this.options;
    await memory.delete(key);
    await this.run(
      (redis) => redis.delete(key),
      async () => {},
    );
  }

  private async run<T>(onRedis: (store: RedisStore) => Promise<T>, onMemory: () => Promise<T>): Promise<T> {
    const redis = this.options.redis;
    if (!redis) return onMemory();
    if (this.initial) await this.initial;
    if (redis.client.status !== 'ready') {
      this.fallBack(`connection ${redis.client.status}`);
      return onMemory();
    }
    try {
      const result = await onRedis(redis.store);
      this.recovered();
      return result;
    } catch (error) {
      this.fallBack((error as Error).message);
      return onMemory();
    }
  }

  private fallBack(reason: string): void {
    if (this.fallingBack) return;
    this.fallingBack = true;
    this.options.metrics?.fallback.set(1);
    this.options.logger.warn({ reason }, 'redis unavailable; cache entries go to memory until it returns');
  }

  private count<T>(value: T | null): T | null {
    const hit = value !== null;
    if (hit) this.options.stats.hits++;
    else this.options.stats.misses++;
    this.options.metrics?.[hit ? 'hits' : 'misses'].inc({ store: this.kind });
    return value;
  }
}

/** Waits for the first 'ready', 'error' or 'end' of a connection that is still connecting. */
function firstOutcome(client: Redis, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      client.off('error', done);
      client.off('end', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    (timer as { unref?: () => void }).unref?.();
    client.once('ready', done);
    client.once('error', done);
    client.once('end', done);
  });
}
