/**
 * The cache plugin: one CacheStore interface over Redis (the core's shared connection, REDIS_URL)
 * and a bounded memory store, with the memory store taking over while Redis is down. It has no
 * routes; other plugins use its service (`ctx.service<CacheService>('cache')`), a host mounting it
 * alone reaches it through the `cache` decorator.
 */
import { Elysia } from 'elysia';
import { type EmbedOptions, embed } from '../../src/embed.ts';
import { definePlugin } from '../../src/plugin.ts';
import { CacheConfig } from './config.ts';
import { type CacheRuntime, createCacheService } from './service.ts';

/** The plugin definition the core composes. */
export const cachePlugin = definePlugin({
  name: 'cache',
  configKey: 'cache',
  envPrefix: 'CACHE',
  schema: CacheConfig,
  create(ctx) {
    const service: CacheRuntime = createCacheService({
      config: ctx.config,
      redis: ctx.redis,
      clock: ctx.clock,
      logger: ctx.logger,
      metrics: ctx.metrics,
    });
    const app = new Elysia({ name: 'elaoms/cache', seed: ctx.config }).decorate('cache', service);
    const redisUnused = !ctx.redis || !ctx.config.redisEnabled;
    return {
      app,
      service,
      start: () => service.start(),
      stop: () => service.stop(),
      health: async () => ({ cache: service.health() }),
      notices: () =>
        redisUnused
          ? [
              `cache: in memory, per process (${ctx.redis ? 'CACHE_REDIS_ENABLED=false' : 'REDIS_URL not set'}); audio waiting for its transcription is not shared between instances`,
            ]
          : [],
    };
  },
});

/** The cache plugin alone, to `.use()` in another Elysia app (drive start/stop via `embed` for the sweep). */
export async function cache(options: EmbedOptions = {}) {
  return (await embed([cachePlugin], options)).app;
}

export {
  type AudioOutcome,
  type AudioPairing,
  type AudioPairingOptions,
  createAudioPairing,
  type TranscriptionOutcome,
} from './audio-pairing.ts';
export { CacheConfig } from './config.ts';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.ts';
export type { CacheRuntime, CacheServiceOptions } from './service.ts';
export { createCacheService } from './service.ts';
export type { CacheService, CacheStats, CacheStore } from './types.ts';
