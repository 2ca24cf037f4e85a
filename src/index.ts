/**
 * The package's main entry (`import … from 'elaoms'`): build the whole app, or the core from your own
 * plugin list, mount plugins in your own Elysia app, type a config file, write a plugin.
 * Each built-in plugin has its own entry: `elaoms/plugins/<name>` (see docs/embedding.md).
 * Re-exports only: importing this module has no side effects.
 */
export { type AppOptions, builtinPlugins, createApp } from './app.ts';
export { type Clock, manualClock, systemClock } from './clock.ts';
export { type CoreConfig, defineConfig, type ElaomsConfigFile } from './config/index.ts';
export { type Core, type CoreOptions, createCore } from './core.ts';
export { type Db, transaction } from './db/index.ts';
export { type Embedded, type EmbedOptions, embed } from './embed.ts';
export { type CoreEvents, EventBus, type EventName } from './events.ts';
export { HttpError, jsonError, notConfigured } from './http/errors.ts';
export type { Logger } from './log.ts';
export {
  definePlugin,
  type HealthCheck,
  type HealthStatus,
  type MissingSetting,
  type PluginContext,
  type PluginDefinition,
  type PluginInstance,
} from './plugin.ts';
export { VERSION } from './version.ts';
