/**
 * Serving a core over HTTP with a graceful stop: stop accepting, finish in-flight requests,
 * stop background work within the budget, close the database and Redis.
 */
import type { Core } from './core.ts';
import { type RunningServer, serve } from './runtime.ts';

export interface Served {
  server: RunningServer;
  /** Graceful shutdown; resolves when everything is closed. */
  shutdown(): Promise<void>;
}

export async function serveCore(
  core: Core,
  overrides: { hostname?: string; port?: number } = {},
): Promise<Served> {
  await core.start();
  const server = serve((request) => core.handle(request), {
    hostname: overrides.hostname ?? core.config.server.host,
    port: overrides.port ?? core.config.server.port,
    reusePort: core.config.server.workers > 1,
  });
  let closing: Promise<void> | undefined;
  return {
    server,
    shutdown() {
      closing ??= (async () => {
        const budget = core.config.server.shutdownTimeoutMs;
        await Promise.race([server.stop(), new Promise((r) => setTimeout(r, budget).unref?.())]);
        await core.stop();
      })();
      return closing;
    },
  };
}

/** Start-up banner: URL, plugins, and what is not configured. */
export function banner(core: Core, url: URL): string {
  const lines = [
    `elaoms listening on ${url.origin}`,
    `  plugins: ${core.plugins.join(', ') || '(none)'}`,
    `  docs:    ${url.origin}/docs   health: ${url.origin}/health`,
  ];
  if (core.notices.length) lines.push('  not configured:', ...core.notices.map((n) => `    - ${n}`));
  return lines.join('\n');
}
