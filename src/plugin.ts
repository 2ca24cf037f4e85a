/**
 * The plugin contract. A plugin is a definition the core can compose: its name, its config section,
 * what it needs, its migrations, and `create()`, which returns its Elysia instance and its service.
 * Plugins import the core; the core never imports a plugin.
 */
import type { Static, TObject } from '@sinclair/typebox';
import type { AnyElysia } from 'elysia';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Clock } from './clock.ts';
import type { CoreConfig } from './config/index.ts';
import type { Db } from './db/index.ts';
import type { EventBus } from './events.ts';
import type { Logger } from './log.ts';

export type HealthStatus = 'up' | 'down' | 'degraded' | 'disabled';

export interface HealthCheck {
  status: HealthStatus;
  /** A required dependency that is down makes /health answer 503. */
  required: boolean;
  latencyMs?: number;
  detail?: string;
}

/** A setting a plugin cannot work without, reported at boot when missing. */
export interface MissingSetting {
  key: string;
  env?: string;
  /** What stops working without it. */
  effect: string;
}

export interface PluginContext<C> {
  /** This plugin's section of the config, parsed and with defaults. */
  config: C;
  /** The core's sections (server, elevenlabs, resilience, redis…). */
  core: CoreConfig;
  logger: Logger;
  db: Db;
  clock: Clock;
  metrics: Registry;
  /** Events between sibling plugins (auth failures, rate-limit hits…). */
  events: EventBus;
  /** A stable id of this process, for leases. */
  instanceId: string;
  /** The shared Redis connection when `redis.url` is set (null otherwise). */
  redis: Redis | null;
  /** The client address, honouring X-Forwarded-For only from trusted proxies. */
  clientIp(request: Request): string;
  /** Another plugin's service; only plugins named in `needs` or `wants` (undefined when a wanted one is off). */
  service<T>(name: string): T;
  /** Another plugin's Elysia instance (to reuse its macros); only plugins named in `needs`. */
  app(name: string): AnyElysia;
}

export interface PluginInstance<S = unknown> {
  app: AnyElysia;
  service?: S;
  /** Starts background work (sweepers, queues). Called by the core after every plugin is created. */
  start?(): void | Promise<void>;
  /** Stops background work and waits for it, within the core's shutdown budget. */
  stop?(): void | Promise<void>;
  /** Named dependency checks shown by /health. */
  health?(): Promise<Record<string, HealthCheck>>;
  /** Lines for the start-up banner: what is not configured and what that disables. */
  notices?(): string[];
}

export interface PluginDefinition<Schema extends TObject = TObject, S = unknown> {
  /** Plugin name, also its Elysia instance name (`elaoms/<name>`). */
  name: string;
  /** Its section in the config file. */
  configKey: string;
  /** Prefix of its `<PREFIX>_ENABLED` variable. */
  envPrefix: string;
  schema: Schema;
  /** Plugins that must be enabled for this one to work. */
  needs?: readonly string[];
  /** Plugins this one uses when they are enabled (created first then), and works without. */
  wants?: readonly string[];
  /** Absolute path of its drizzle migrations folder. */
  migrations?: string;
  create(ctx: PluginContext<Static<Schema>>): PluginInstance<S> | Promise<PluginInstance<S>>;
}

/** Identity helper that keeps the config type of a definition. */
export function definePlugin<Schema extends TObject, S>(
  def: PluginDefinition<Schema, S>,
): PluginDefinition<Schema, S> {
  return def;
}
