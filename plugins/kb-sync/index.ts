/**
 * The kb-sync plugin: knowledge documents kept in SQLite and synced to the ElevenLabs Knowledge
 * Base in the background (official SDK, classified errors, retries, a circuit breaker, a
 * concurrency limit), the admin API under /api/knowledge and the page at /ui/knowledge.
 * Without ELEVENLABS_API_KEY documents are still stored and wait as `pending`.
 */
import { fileURLToPath } from 'node:url';
import { Elysia } from 'elysia';
import { createElevenLabsClient } from '../../src/elevenlabs.ts';
import { type EmbedOptions, embed } from '../../src/embed.ts';
import { definePlugin, type HealthCheck } from '../../src/plugin.ts';
import { createUpstream } from '../../src/resilience.ts';
import { headerAuthPlugin } from '../header-auth/index.ts';
import { KbSyncConfig } from './config.ts';
import { classifySyncError } from './errors.ts';
import { type AdminAuth, knowledgeRoutes } from './routes.ts';
import { createKbSyncService, type KbSyncService } from './service.ts';
import type { Sleep } from './sync.ts';
import { knowledgePage } from './ui.ts';

/** Test seam: a `sleep` for retry delays (tests record them instead of waiting). */
export interface KbSyncHooks {
  sleep?: Sleep;
}

/** The definition with injectable retry sleep; `kbSyncPlugin` is this with the real timer. */
export function defineKbSync(hooks: KbSyncHooks = {}) {
  return definePlugin({
    name: 'kb-sync',
    configKey: 'kbSync',
    envPrefix: 'KB_SYNC',
    schema: KbSyncConfig,
    needs: ['header-auth'],
    migrations: fileURLToPath(new URL('../../drizzle/kb-sync', import.meta.url)),
    create(ctx) {
      const client = createElevenLabsClient(ctx.core.elevenlabs);
      const upstream = createUpstream({
        name: 'elevenlabs-kb',
        maxRetries: 0,
        baseDelayMs: ctx.config.baseDelayMs,
        maxDelayMs: ctx.config.maxDelayMs,
        breakerThreshold: ctx.core.resilience.breakerThreshold,
        halfOpenAfterMs: ctx.core.resilience.breakerHalfOpenAfterMs,
        logger: ctx.logger,
        metrics: ctx.metrics,
        retryable: (error) => classifySyncError(error).retryable,
      });
      const service: KbSyncService = createKbSyncService({
        config: ctx.config,
        db: ctx.db,
        clock: ctx.clock,
        logger: ctx.logger,
        client,
        upstream,
        instanceId: ctx.instanceId,
        sleep: hooks.sleep,
        metrics: ctx.metrics,
      });
      const app = new Elysia({ name: 'elaoms/kb-sync', seed: ctx.config })
        .decorate('kbSync', service)
        .use(knowledgeRoutes(service, ctx.config, ctx.app('header-auth') as AdminAuth));
      if (ctx.config.ui) app.use(knowledgePage());
      return {
        app,
        service,
        start: () => service.start(),
        stop: () => service.stop(),
        health: async () => ({ kb_sync: health(service) }),
        notices: () =>
          service.syncEnabled
            ? []
            : [
                'kb-sync: ELEVENLABS_API_KEY is not configured; knowledge documents are stored and wait as pending until it is set',
              ],
      };
    },
  });
}

function health(service: KbSyncService): HealthCheck {
  const counts = service.counts();
  const summary = `${counts.pending} pending, ${counts.syncing} syncing, ${counts.failed} failed`;
  if (!service.syncEnabled) {
    return {
      status: 'disabled',
      required: false,
      detail: `ELEVENLABS_API_KEY is not configured; ${summary}`,
    };
  }
  const circuit = service.breakerState();
  return {
    status: circuit === 'closed' ? 'up' : 'degraded',
    required: false,
    detail: `circuit ${circuit}; ${summary}`,
  };
}

/** The plugin definition the core composes. */
export const kbSyncPlugin = defineKbSync();

/** The kb-sync plugin alone (with header-auth, which guards its routes), to `.use()` in another Elysia app. */
export async function kbSync(options: EmbedOptions = {}) {
  return (await embed([kbSyncPlugin], { ...options, available: [headerAuthPlugin] })).app;
}

export { KbSyncConfig } from './config.ts';
export { classifySyncError, SyncError, type SyncErrorType, USER_MESSAGES } from './errors.ts';
export type { DeleteOutcome, DocumentInput, KbSyncService, RetryOutcome } from './service.ts';
export type { SourceType, SyncStatus } from './store.ts';
export type { Sleep } from './sync.ts';
export { type DocumentJson, documentJson } from './view.ts';
