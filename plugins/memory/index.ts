/**
 * The memory plugin: the selected MemoryBackend (MEMORY_BACKEND = auto | embedded | openmemory | mem0) as
 * the plugin's service and the `memory` decorator, with its health check. It has no routes; agent-memory
 * uses the service, a host mounting it alone reaches the backend through `memory`.
 */
import { fileURLToPath } from 'node:url';
import { Elysia } from 'elysia';
import { type EmbedOptions, embed } from '../../src/embed.ts';
import { definePlugin } from '../../src/plugin.ts';
import { MemoryConfig } from './config.ts';
import { backlogMetrics } from './metrics.ts';
import { createMemoryService } from './service.ts';
import type { MemoryBackend } from './types.ts';

/** The plugin definition the core composes. */
export const memoryPlugin = definePlugin({
  name: 'memory',
  configKey: 'memory',
  envPrefix: 'MEMORY',
  schema: MemoryConfig,
  migrations: fileURLToPath(new URL('../../drizzle/memory', import.meta.url)),
  create(ctx) {
    const { backend, missing } = createMemoryService({
      config: ctx.config,
      resilience: ctx.core.resilience,
      db: ctx.db,
      clock: ctx.clock,
      logger: ctx.logger,
      metrics: ctx.metrics,
    });
    if (backend.name === 'embedded' && ctx.metrics) backlogMetrics(ctx.metrics, ctx.db);
    const app = new Elysia({ name: 'elaoms/memory', seed: ctx.config }).decorate(
      'memory',
      backend as MemoryBackend,
    );
    return {
      app,
      service: backend,
      stop: () => backend.close?.(),
      health: async () => {
        const result = await backend.health();
        return {
          memory: {
            status: result.ok ? 'up' : 'down',
            required: true,
            latencyMs: result.latencyMs,
            detail: result.detail ?? `backend ${backend.name}`,
          },
        };
      },
      notices: () =>
        missing
          ? [
              `memory: MEMORY_BACKEND=${backend.name} but ${missing} is not set; memories are neither stored nor read`,
            ]
          : [],
    };
  },
});

/** The memory plugin alone, to `.use()` in another Elysia app; the backend is the `memory` decorator. */
export async function memory(options: EmbedOptions = {}) {
  return (await embed([memoryPlugin], options)).app;
}

export { conversationPieces, type Piece } from './chunks.ts';
export { MemoryConfig } from './config.ts';
export { createEmbeddedBackend, type EmbeddedOptions } from './embedded.ts';
export { callerTerms, queryTokens, termsMatch } from './fts-query.ts';
export { createMem0Backend, MEM0_DEFAULT_URLS, type Mem0Options } from './mem0.ts';
export { createOpenMemoryBackend, type OpenMemoryOptions } from './openmemory.ts';
export {
  createMemoryService,
  type MemoryService,
  type MemoryServiceOptions,
  unconfiguredBackend,
} from './service.ts';
export * from './types.ts';
export { rebuildIndex } from './upkeep.ts';
