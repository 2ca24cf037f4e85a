/**
 * Mounting plugins inside someone else's Elysia app. `embed()` builds a core in embedded mode
 * (no /, /health, /docs, no global hooks) from the given plugins and their needs, and returns an
 * Elysia instance to `.use()`, plus the lifecycle the host must drive when it does not call
 * `.listen()` (Deno.serve, app.handle): `await mounted.start()` / `await mounted.stop()`.
 */
import type { AnyElysia } from 'elysia';
import type { DestinationStream } from 'pino';
import type { Clock } from './clock.ts';
import { type Core, createCore } from './core.ts';
import type { PluginDefinition } from './plugin.ts';

export interface EmbedOptions {
  /** Config sections by key (the plugin's own, plus core sections such as database, redis, elevenlabs). */
  config?: Record<string, unknown>;
  /** Environment variables to read; none by default, so a host's environment does not leak in. */
  env?: Record<string, string | undefined>;
  logDestination?: DestinationStream;
  clock?: Clock;
}

export interface Embedded {
  app: AnyElysia;
  core: Core;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Collects `plugins` and, transitively, every plugin they need (definitions come from `available`). */
function withNeeds(plugins: PluginDefinition<any, any>[], available: PluginDefinition<any, any>[]) {
  const byName = new Map([...available, ...plugins].map((p) => [p.name, p]));
  const out = new Map<string, PluginDefinition<any, any>>();
  const add = (p: PluginDefinition<any, any>) => {
    if (out.has(p.name)) return;
    out.set(p.name, p);
    for (const need of p.needs ?? []) {
      const dep = byName.get(need);
      if (!dep) throw new Error(`${p.name} needs ${need}: pass its definition in \`available\``);
      add(dep);
    }
  };
  for (const p of plugins) add(p);
  return [...out.values()];
}

export async function embed(
  plugins: PluginDefinition<any, any>[],
  options: EmbedOptions & { available?: PluginDefinition<any, any>[] } = {},
): Promise<Embedded> {
  const core = await createCore({
    plugins: withNeeds(plugins, options.available ?? []),
    config: options.config ?? {},
    env: options.env ?? {},
    logDestination: options.logDestination,
    clock: options.clock,
    embedded: true,
  });
  core.app.onStart(() => core.start()).onStop(() => core.stop());
  return { app: core.app, core, start: () => core.start(), stop: () => core.stop() };
}
