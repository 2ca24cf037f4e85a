/**
 * The composition root: the built-in plugins, in the order they are offered to the core.
 * The config decides which are enabled; the core orders them by what they need.
 */
import { agentMemoryPlugin } from '../plugins/agent-memory/index.ts';
import { cachePlugin } from '../plugins/cache/index.ts';
import { headerAuthPlugin } from '../plugins/header-auth/index.ts';
import { hmacAuthPlugin } from '../plugins/hmac-auth/index.ts';
import { kbSyncPlugin } from '../plugins/kb-sync/index.ts';
import { memoryPlugin } from '../plugins/memory/index.ts';
import { metricsPlugin } from '../plugins/metrics/index.ts';
import { storagePlugin } from '../plugins/storage/index.ts';
import { throttlePlugin } from '../plugins/throttle/index.ts';
import { type Core, type CoreOptions, createCore } from './core.ts';
import type { PluginDefinition } from './plugin.ts';

/** Every plugin that ships with elaoms. */
export const builtinPlugins: PluginDefinition<any, any>[] = [
  throttlePlugin,
  hmacAuthPlugin,
  headerAuthPlugin,
  storagePlugin,
  cachePlugin,
  memoryPlugin,
  agentMemoryPlugin,
  kbSyncPlugin,
  metricsPlugin,
];

export type AppOptions = Omit<CoreOptions, 'plugins'> & { plugins?: PluginDefinition<any, any>[] };

/** Builds the elaoms app from config (file, env, or an inline object). */
export function createApp(options: AppOptions = {}): Promise<Core> {
  return createCore({ ...options, plugins: options.plugins ?? builtinPlugins });
}
