/**
 * throttle: rate limits per client IP, user agent and API key, IP throttling after repeated
 * authentication failures, and anomaly detection over the event bus (auth failures, rate-limit
 * hits, quarantine failures). The limits run in onRequest, before any body is read, for the paths
 * under the configured prefixes (`/webhooks/`, `/api/`, `/metrics`, `/admin/` by default), so they apply to a host
 * app's routes when the plugin is mounted alone.
 */
import { Elysia } from 'elysia';
import { type EmbedOptions, embed } from '../../src/embed.ts';
import { definePlugin } from '../../src/plugin.ts';
import type { HeaderAuthService } from '../header-auth/index.ts';
import { ThrottleConfig } from './config.ts';
import { callerOfKeys } from './limits.ts';
import { createThrottleService, type ThrottleService } from './service.ts';

export type { AnomalyType } from './anomaly.ts';
export { ThrottleConfig } from './config.ts';
export type { Dimension } from './limits.ts';
export type { ThrottleService } from './service.ts';

/** The Elysia instance: one request hook, filtered by path prefix. */
export function throttleApp(
  service: ThrottleService,
  seed: unknown = null,
  onError?: (error: unknown) => void,
) {
  return new Elysia({ name: 'elaoms/throttle', seed }).onRequest(async function throttleRequest({
    request,
    set,
  }) {
    if (!service.covers(new URL(request.url).pathname)) return;
    try {
      const { response, headers } = await service.check(request);
      if (response) return response;
      Object.assign(set.headers, headers);
    } catch (error) {
      // A bug here must not turn every request into a 500; it is logged loudly instead.
      onError?.(error);
    }
  });
}

/** The throttle plugin definition. */
export const throttlePlugin = definePlugin({
  name: 'throttle',
  configKey: 'throttle',
  envPrefix: 'THROTTLE',
  schema: ThrottleConfig,
  // With header-auth, the per-key limit counts each configured key under its name (and all bad
  // keys together); without it, throttle still works and counts presented keys by hash.
  wants: ['header-auth'],
  create(ctx) {
    const auth = ctx.service<HeaderAuthService | undefined>('header-auth');
    const service = createThrottleService({
      config: ctx.config,
      clock: ctx.clock,
      logger: ctx.logger,
      events: ctx.events,
      metrics: ctx.metrics,
      redis: ctx.redis,
      clientIp: ctx.clientIp,
      callerOf: auth ? callerOfKeys(auth) : undefined,
    });
    const onError = (error: unknown) =>
      ctx.logger.error({ err: error }, 'throttle check failed; request let through');
    return {
      app: throttleApp(service, ctx.config, onError),
      service,
      start: () => service.start(),
      stop: () => service.stop(),
      health: async () => ({
        throttle: {
          status: service.store === 'memory-fallback' ? 'degraded' : 'up',
          required: false,
          detail: `counting in ${service.store}`,
        },
      }),
    };
  },
});

/** throttle alone, to `.use()` in a host app: its limits apply to the configured path prefixes. */
export async function throttle(options: EmbedOptions = {}) {
  return (await embed([throttlePlugin], options)).app;
}
