/**
 * The cache section: TTLs (REDIS_TTL, AUDIO_CACHE_TTL), whether Redis is used at all, and the
 * bounds of the in-memory store, which holds audio payloads of several megabytes.
 */
import { type Static, Type } from '@sinclair/typebox';

export const CacheConfig = Type.Object(
  {
    ttlSeconds: Type.Integer({
      default: 3600,
      minimum: 1,
      env: 'REDIS_TTL',
      description: 'Default lifetime of a cache entry, in Redis and in memory (INT-3.5, CONF-3.2).',
    }),
    audioTtlSeconds: Type.Integer({
      default: 3600,
      minimum: 1,
      env: 'AUDIO_CACHE_TTL',
      description:
        'How long post_call_audio waits for its post_call_transcription before it is dropped (FR-6.7, CONF-3.1).',
    }),
    redisEnabled: Type.Boolean({
      default: true,
      env: 'CACHE_REDIS_ENABLED',
      description:
        'Use the shared Redis (redis.url) for the cache; false keeps the cache in memory, per process (CONF-3.3).',
    }),
    maxEntries: Type.Integer({
      default: 10000,
      minimum: 1,
      env: 'CACHE_MAX_ENTRIES',
      description: 'Most entries the in-memory store holds; the least recently used go first.',
    }),
    maxBytes: Type.Integer({
      default: 268435456,
      minimum: 1,
      env: 'CACHE_MAX_BYTES',
      description:
        'Most bytes of values the in-memory store holds (default 256 MiB); the least recently used go first.',
    }),
    sweepIntervalSeconds: Type.Number({
      default: 60,
      minimum: 0.01,
      env: 'CACHE_SWEEP_INTERVAL',
      description: 'How often expired entries are removed from the in-memory store (PERF-1.6).',
    }),
  },
  { default: {}, additionalProperties: false },
);

export type CacheConfig = Static<typeof CacheConfig>;
