/**
 * The cache contract: one interface, two stores (Redis via ioredis, memory with TTL and a size
 * bound). Values are bytes or strings; callers serialize. Redis down: the memory store serves
 * until it returns.
 */
export interface CacheStore {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<Uint8Array | null>;
  getText(key: string): Promise<string | null>;
  /** Stores `value` for `ttlSeconds` (the configured default when omitted). */
  set(key: string, value: Uint8Array | string, ttlSeconds?: number): Promise<void>;
  /** Stores only when the key is absent; true when stored. */
  setIfAbsent(key: string, value: Uint8Array | string, ttlSeconds?: number): Promise<boolean>;
  /** Gets and deletes atomically (GETDEL): of two instances taking one key, one gets it. */
  take(key: string): Promise<Uint8Array | null>;
  delete(key: string): Promise<void>;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Entries removed because their TTL passed (memory store; Redis expires its keys itself). */
  expirations: number;
  /** Entries dropped from the memory store to stay within its size bound. */
  evictions: number;
}

export interface CacheService {
  /** The store in use now (Redis, or memory while Redis is down or unset). */
  store(): CacheStore;
  /** A namespaced view: keys are prefixed with `namespace:`. */
  namespace(namespace: string): CacheStore;
  stats(): CacheStats;
  /** The configured lifetime of audio waiting for its transcription (AUDIO_CACHE_TTL). */
  readonly audioTtlSeconds: number;
}
