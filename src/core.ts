/**
 * The core: config → enabled plugins → one Elysia app, plus the lifecycle it owns.
 * Elysia's onStart/onStop do not fire under Deno.serve or app.handle, so background work
 * starts and stops here, explicitly.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cors } from '@elysiajs/cors';
import { openapi } from '@elysiajs/openapi';
import type { TObject } from '@sinclair/typebox';
import { type AnyElysia, Elysia } from 'elysia';
import type { Redis } from 'ioredis';
import type { DestinationStream } from 'pino';
import type { Registry } from 'prom-client';
import { type Clock, systemClock } from './clock.ts';
import {
  ConfigError,
  type CoreConfig,
  composeSchema,
  findConfigFile,
  isModuleConfig,
  loadConfig,
  type Source,
  settingError,
} from './config/index.ts';
import { type Checkpointer, startCheckpointer } from './db/checkpointer.ts';
import { applyMigrations, closeDatabase, type Db, openDatabase } from './db/index.ts';
import { preloadElevenLabsSdk } from './elevenlabs.ts';
import { EventBus } from './events.ts';
import { healthRoutes } from './health.ts';
import { clientIpResolver } from './http/client-ip.ts';
import { errorHandling } from './http/errors.ts';
import { jsonResponses } from './http/openapi.ts';
import { requestContext } from './http/request-context.ts';
import { createLogger, drainLog, type Logger } from './log.ts';
import { createRegistry } from './metrics.ts';
import type { PluginContext, PluginDefinition, PluginInstance } from './plugin.ts';
import { connectRedis } from './redis.ts';
import { readEnv, rememberPeerFromServer } from './runtime.ts';
import { VERSION } from './version.ts';

export const CORE_MIGRATIONS = fileURLToPath(new URL('../drizzle/core', import.meta.url));

export interface CoreOptions {
  /** Every plugin the app knows; the config decides which are enabled. */
  plugins: PluginDefinition<any, any>[];
  /** A config object used instead of a config file. */
  config?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  argv?: string[];
  cwd?: string;
  logDestination?: DestinationStream;
  clock?: Clock;
  /**
   * Mounted inside someone else's Elysia app: no /, /health, /docs, no request-id wrapper;
   * our error mapping applies to our routes only.
   */
  embedded?: boolean;
}

export interface Core {
  app: AnyElysia;
  config: CoreConfig & Record<string, any>;
  logger: Logger;
  db: Db;
  redis: Redis | null;
  metrics: Registry;
  events: EventBus;
  /** Enabled plugins in start order. */
  plugins: string[];
  /** Banner lines: what is not configured and what that disables. */
  notices: string[];
  service<T>(name: string): T;
  /** Handles one request in process (tests, embedding). */
  handle(request: Request): Promise<Response>;
  start(): Promise<void>;
  /** Stops background work within `server.shutdownTimeoutMs`, then closes Redis and the database. */
  stop(): Promise<void>;
}

/** Checks that every enabled plugin's needs are enabled, and orders plugins so needs come first. */
export function resolvePlugins(all: PluginDefinition<any, any>[], config: Record<string, any>) {
  const byName = new Map(all.map((p) => [p.name, p]));
  const enabled = all.filter((p) => config[p.configKey]?.enabled !== false);
  const enabledNames = new Set(enabled.map((p) => p.name));
  const issues = [];
  for (const plugin of enabled) {
    for (const need of plugin.needs ?? []) {
      const dep = byName.get(need);
      if (!dep) throw new Error(`plugin ${plugin.name} needs unknown plugin ${need}`);
      if (!enabledNames.has(need)) {
        issues.push({
          key: `${dep.configKey}.enabled`,
          source: 'default' as const,
          message: `the ${plugin.name} plugin needs the ${need} plugin: set ${dep.configKey}.enabled=true (${dep.envPrefix}_ENABLED=true) or disable ${plugin.name} (${plugin.envPrefix}_ENABLED=false)`,
        });
      }
    }
  }
  if (issues.length) throw new ConfigError(issues);
  const ordered: PluginDefinition<any, any>[] = [];
  const visit = (p: PluginDefinition<any, any>, trail: string[]) => {
    if (ordered.includes(p)) return;
    if (trail.includes(p.name))
      throw new Error(`plugin dependency cycle: ${[...trail, p.name].join(' -> ')}`);
    for (const need of p.needs ?? []) visit(byName.get(need)!, [...trail, p.name]);
    for (const want of p.wants ?? [])
      if (enabledNames.has(want)) visit(byName.get(want)!, [...trail, p.name]);
    ordered.push(p);
  };
  for (const p of enabled) visit(p, []);
  return ordered;
}

/** Loads a TypeScript/JavaScript config file (default export), when that is the file in use. */
async function importModuleConfig(argv: string[], env: Record<string, string | undefined>, cwd?: string) {
  const found = findConfigFile(argv, env, cwd ?? process.cwd());
  if (!isModuleConfig(found.path)) return undefined;
  try {
    const mod = await import(pathToFileURL(found.path).href);
    return { path: found.path, config: (mod.default ?? mod) as Record<string, unknown> };
  } catch (error) {
    throw new ConfigError([
      { key: 'config', source: `file ${found.path}`, message: (error as Error).message },
    ]);
  }
}

/** The database, or a {@link ConfigError} on `database.path` when its folder or file cannot be opened. */
function openConfiguredDatabase(options: CoreConfig['database'], sources: Map<string, Source>): Db {
  try {
    return openDatabase(options);
  } catch (error) {
    const message = `cannot open ${options.path}: ${(error as Error).message}`;
    throw new ConfigError([
      { key: 'database.path', source: sources.get('database.path') ?? 'default', message },
    ]);
  }
}

export async function createCore(options: CoreOptions): Promise<Core> {
  const schema: TObject = composeSchema(options.plugins);
  const env = options.env ?? readEnv();
  const moduleFile = options.config
    ? undefined
    : await importModuleConfig(options.argv ?? [], env, options.cwd);
  const { config, sources } = loadConfig<CoreConfig & Record<string, any>>(schema, {
    env,
    argv: options.argv ?? [],
    cwd: options.cwd,
    file: options.config ?? moduleFile?.config,
    fileLabel: moduleFile?.path,
  });
  const ordered = resolvePlugins(options.plugins, config);
  // Loaded only when it can be used (src/elevenlabs.ts); before the first request, not during one.
  if (config.elevenlabs.apiKey) await preloadElevenLabsSdk();
  const logger = createLogger({ ...config.log, destination: options.logDestination });
  const clock = options.clock ?? systemClock;
  const db = openConfiguredDatabase(config.database, sources);
  const prefix = config.database.migrationsTablePrefix;
  applyMigrations(db, CORE_MIGRATIONS, `${prefix}_core`);
  for (const p of ordered)
    if (p.migrations) applyMigrations(db, p.migrations, `${prefix}_${p.name.replace(/-/g, '_')}`);
  const redis = config.redis.url
    ? await connectRedis(config.redis.url, logger, config.redis.keyPrefix)
    : null;
  const metrics = createRegistry();
  const clientIp = clientIpResolver(config.server.trustedProxies);
  const instances = new Map<string, PluginInstance>();
  const events = new EventBus(logger);
  const instanceId = `${process.pid}-${crypto.randomUUID().slice(0, 8)}`;

  const app: AnyElysia = options.embedded
    ? embeddedApp(ordered, config, logger)
    : rootApp(ordered, logger, clientIp, metrics, config.server.corsOrigins);

  for (const def of ordered) {
    const ctx: PluginContext<any> = {
      config: config[def.configKey],
      core: config,
      logger: logger.child({ plugin: def.name }),
      db,
      clock,
      metrics,
      events,
      instanceId,
      redis,
      clientIp,
      service<T>(name: string): T {
        if (!def.needs?.includes(name) && !def.wants?.includes(name))
          throw new Error(`${def.name} did not declare it needs ${name}`);
        return instances.get(name)?.service as T;
      },
      app(name: string) {
        if (!def.needs?.includes(name)) throw new Error(`${def.name} did not declare it needs ${name}`);
        return instances.get(name)!.app;
      },
    };
    let instance: PluginInstance;
    try {
      instance = await def.create(ctx);
    } catch (error) {
      throw settingError(error, schema, sources) ?? error;
    }
    instances.set(def.name, instance);
    app.use(instance.app);
  }
  if (!options.embedded) app.use(healthRoutes({ db, redis, config, instances, logger }));

  let started = false;
  let checkpointer: Checkpointer | undefined;
  let stopping: Promise<void> | undefined;
  const core: Core = {
    app,
    config,
    logger,
    db,
    redis,
    metrics,
    events,
    plugins: ordered.map((p) => p.name),
    notices: [...instances.values()].flatMap((i) => i.notices?.() ?? []),
    service<T>(name: string) {
      return instances.get(name)?.service as T;
    },
    handle: (request) => app.handle(request),
    async start() {
      if (started) return;
      started = true;
      const { path, checkpointIntervalMs } = config.database;
      if (path !== ':memory:' && checkpointIntervalMs > 0) {
        try {
          checkpointer = startCheckpointer({ path, intervalMs: checkpointIntervalMs });
        } catch (error) {
          // A runtime without web Workers: SQLite's own checkpoints (wal_autocheckpoint) still run.
          logger.warn({ err: error }, 'background WAL checkpoints unavailable');
        }
      }
      for (const def of ordered) await instances.get(def.name)!.start?.();
      logger.info({ plugins: core.plugins }, 'elaoms started');
    },
    stop() {
      stopping ??= (async () => {
        const budget = config.server.shutdownTimeoutMs;
        const stops = [...ordered].reverse().map((def) => instances.get(def.name)!.stop?.());
        const timedOut = await Promise.race([
          Promise.allSettled(stops).then(() => false),
          new Promise<boolean>((r) => setTimeout(() => r(true), budget).unref?.()),
        ]);
        if (timedOut) logger.warn({ budget_ms: budget }, 'background work did not stop in time');
        if (redis) redis.disconnect();
        await checkpointer?.stop();
        closeDatabase(db);
        logger.info('elaoms stopped');
        await drainLog(logger);
      })();
      return stopping;
    },
  };
  return core;
}

/**
 * The app a host mounts: our error mapping on our routes only, and the peer address taken from the
 * host's server (Elysia's `server.requestIP`) so per-IP limits work there too. The seed includes the
 * config, so two mounts with different config are both kept while a repeated mount is not.
 */
function embeddedApp(ordered: PluginDefinition<any, any>[], config: Record<string, unknown>, logger: Logger) {
  const seed = createHash('sha256')
    .update(JSON.stringify([ordered.map((p) => p.name), config]))
    .digest('hex');
  return new Elysia({ name: 'elaoms/embedded', seed })
    .onRequest(function recordPeer({ request, server }) {
      rememberPeerFromServer(request, server);
    })
    .use(errorHandling(logger, 'scoped'));
}

function rootApp(
  ordered: PluginDefinition<any, any>[],
  logger: Logger,
  clientIp: (request: Request) => string,
  metrics: Registry,
  corsOrigins: string[],
): AnyElysia {
  const corsPlugin = corsOrigins.length
    ? cors({ origin: corsOrigins.includes('*') ? true : corsOrigins, credentials: false })
    : new Elysia({ name: 'elaoms/cors-off' });
  return new Elysia({ name: 'elaoms' })
    .use(requestContext(logger, clientIp, metrics))
    .use(corsPlugin)
    .use(errorHandling(logger))
    .use(
      openapi({
        path: '/docs',
        documentation: {
          info: {
            title: 'elaoms',
            version: VERSION,
            description:
              'Persistent, personalized memory and knowledge-base sync for ElevenLabs voice agents.',
          },
        },
      }),
    )
    .get(
      '/',
      () => ({
        service: 'Eleven Labs Agents Open Memory System (ELAOMS)',
        version: VERSION,
        status: 'running',
        plugins: ordered.map((p) => p.name),
      }),
      {
        detail: {
          ...jsonResponses({
            200: [
              'Service, version, status and the enabled plugins',
              {
                service: 'Eleven Labs Agents Open Memory System (ELAOMS)',
                version: VERSION,
                status: 'running',
                plugins: ['hmac-auth', 'agent-memory'],
              },
            ],
          }),
          summary: 'Service information',
          tags: ['service'],
        },
      },
    );
}
