/**
 * The Redis store over the shared ioredis connection (which already carries `redis.keyPrefix`).
 * Keys get `cache:` in front so they never meet other plugins' keys. Commands fail fast while
 * Redis is down (no offline queue); the service catches that and serves from memory.
 */
import { Buffer } from 'node:buffer';
import type { Redis } from 'ioredis';
import type { CacheStore } from './types.ts';

const PREFIX = 'cache:';

/** A CacheStore on Redis: SET EX, SET NX EX, GETDEL. Errors are thrown, never swallowed here. */
export class RedisStore implements CacheStore {
  readonly kind = 'redis' as const;

  constructor(
    private readonly client: Redis,
    private readonly ttlSeconds: number,
  ) {}

  async get(key: string): Promise<Uint8Array | null> {
    return await this.client.getBuffer(PREFIX + key);
  }

  async getText(key: string): Promise<string | null> {
    return await this.client.get(PREFIX + key);
  }

  async set(key: string, value: Uint8Array | string, ttlSeconds?: number): Promise<void> {
    await this.client.set(PREFIX + key, toRedis(value), 'EX', ttlSeconds ?? this.ttlSeconds);
  }

  async setIfAbsent(key: string, value: Uint8Array | string, ttlSeconds?: number): Promise<boolean> {
    const reply = await this.client.set(
      PREFIX + key,
      toRedis(value),
      'EX',
      ttlSeconds ?? this.ttlSeconds,
      'NX',
    );
    return reply === 'OK';
  }

  async take(key: string): Promise<Uint8Array | null> {
    return await this.client.getdelBuffer(PREFIX + key);
  }

  async delete(key: string): Promise<void> {
    await this.client.del(PREFIX + key);
  }
}

function toRedis(value: Uint8Array | string): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
