/**
 * metrics: the Prometheus scrape endpoint for the registry every plugin writes to (webhooks,
 * upstream calls, storage, cache, throttle, the delivery queue). On the main port it sits behind
 * the admin key; with `metrics.port` set it is served on its own listener instead.
 */
import { Elysia } from 'elysia';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import { type EmbedOptions, embed } from '../../src/embed.ts';
import { definePlugin } from '../../src/plugin.ts';
import { type RunningServer, serve } from '../../src/runtime.ts';
import { MetricsConfig } from './config.ts';

export { MetricsConfig } from './config.ts';

async function scrape(registry: Registry): Promise<Response> {
  return new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } });
}

const registriesWithDefaults = new WeakSet<Registry>();

export const metricsPlugin = definePlugin({
  name: 'metrics',
  configKey: 'metrics',
  envPrefix: 'METRICS',
  schema: MetricsConfig,
  needs: ['header-auth'],
  create(ctx) {
    const registry = ctx.metrics;
    if (ctx.config.defaultMetrics && !registriesWithDefaults.has(registry)) {
      registriesWithDefaults.add(registry);
      collectDefaultMetrics({ register: registry, prefix: 'elaoms_' });
    }
    const separate = ctx.config.port > 0;
    const app = new Elysia({ name: 'elaoms/metrics', seed: ctx.config }).use(ctx.app('header-auth'));
    if (!separate) {
      app.get(
        ctx.config.path,
        function metricsEndpoint() {
          return scrape(registry);
        },
        {
          apiKey: 'admin',
          detail: {
            summary: 'Prometheus metrics (admin key)',
            tags: ['operations'],
            responses: {
              200: {
                description: 'Prometheus text format',
                content: {
                  'text/plain': {
                    example:
                      '# TYPE elaoms_http_requests_total counter\nelaoms_http_requests_total{method="POST",route="/webhooks/post-call",status="200"} 42\n',
                  },
                },
              },
            },
          },
        } as any,
      );
    }
    let server: RunningServer | undefined;
    return {
      app,
      service: registry,
      start() {
        if (!separate) return;
        const path = ctx.config.path;
        server = serve(
          (request) =>
            new URL(request.url).pathname === path
              ? scrape(registry)
              : new Response('Not Found', { status: 404 }),
          { hostname: ctx.config.host, port: ctx.config.port },
        );
        ctx.logger.info({ url: `${server.url.origin}${path}` }, 'metrics listener started');
      },
      async stop() {
        await server?.stop();
      },
    };
  },
});

/** Mounts the metrics endpoint alone (with header-auth for the admin key). */
export async function metrics(options: EmbedOptions = {}) {
  const { headerAuthPlugin } = await import('../header-auth/index.ts');
  return (await embed([metricsPlugin], { ...options, available: [headerAuthPlugin] })).app;
}
