/** The cache's Prometheus metrics, created once per app registry. */
import { Counter, Gauge, type Registry } from 'prom-client';
import { metric } from '../../src/metrics.ts';

/** Counters of hits, misses, expirations and evictions, and the fallback/memory gauges. */
export function cacheMetrics(registry: Registry) {
  return metric(registry, 'cache', () => ({
    hits: new Counter({
      name: 'elaoms_cache_hits_total',
      help: 'Cache reads that found a value, by store',
      labelNames: ['store'],
      registers: [registry],
    }),
    misses: new Counter({
      name: 'elaoms_cache_misses_total',
      help: 'Cache reads that found nothing, by store',
      labelNames: ['store'],
      registers: [registry],
    }),
    expirations: new Counter({
      name: 'elaoms_cache_expirations_total',
      help: 'Memory cache entries removed because their TTL passed',
      registers: [registry],
    }),
    evictions: new Counter({
      name: 'elaoms_cache_evictions_total',
      help: 'Memory cache entries dropped to stay within maxEntries/maxBytes',
      registers: [registry],
    }),
    fallback: new Gauge({
      name: 'elaoms_cache_redis_fallback',
      help: '1 while the cache serves from memory because Redis is down',
      registers: [registry],
    }),
    entries: new Gauge({
      name: 'elaoms_cache_memory_entries',
      help: 'Entries in the memory store at the last sweep',
      registers: [registry],
    }),
    bytes: new Gauge({
      name: 'elaoms_cache_memory_bytes',
      help: 'Bytes of values in the memory store at the last sweep',
      registers: [registry],
    }),
  }));
}

export type CacheMetrics = ReturnType<typeof cacheMetrics>;
