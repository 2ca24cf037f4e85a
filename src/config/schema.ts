/**
 * The core's own settings. Plugins contribute their sections through their definitions;
 * `composeSchema` joins them into the one schema the loader checks and docs/config.schema.json shows.
 */
import { type TObject, type TProperties, Type } from '@sinclair/typebox';

const url = (description: string, env: string, extra: object = {}) =>
  Type.String({ pattern: '^https?://', description, env, ...extra });

export const ServerConfig = Type.Object(
  {
    host: Type.String({
      default: '0.0.0.0',
      minLength: 1,
      env: 'HOST',
      description: 'Interface to listen on.',
    }),
    port: Type.Integer({ default: 8000, minimum: 0, maximum: 65535, env: 'PORT', description: 'TCP port.' }),
    trustedProxies: Type.Array(Type.String(), {
      default: [],
      env: 'TRUSTED_PROXIES',
      description:
        'Peer addresses whose X-Forwarded-For is believed (comma-separated). Empty: the socket address is the client.',
    }),
    shutdownTimeoutMs: Type.Integer({
      default: 10000,
      minimum: 0,
      env: 'SHUTDOWN_TIMEOUT_MS',
      description: 'How long a graceful shutdown waits for in-flight requests and background work.',
    }),
    workers: Type.Integer({
      default: 1,
      minimum: 1,
      maximum: 64,
      env: 'WORKERS',
      description: 'Processes sharing the port (Bun reusePort).',
    }),
    corsOrigins: Type.Array(Type.String(), {
      default: [],
      env: 'CORS_ORIGINS',
      description:
        'Origins allowed to call the API from a browser (comma-separated; "*" for any). Empty: CORS off.',
    }),
    ngrokAuthToken: Type.Optional(
      Type.String({
        env: 'NGROK_AUTH_TOKEN',
        secret: true,
        description: 'Accepted for compatibility with the predecessor; elaoms does not start ngrok itself.',
      }),
    ),
  },
  { default: {}, additionalProperties: false },
);

export const LogConfig = Type.Object(
  {
    level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info', env: 'LOG_LEVEL', description: 'Lowest level written.' },
    ),
    pretty: Type.Boolean({
      default: false,
      env: 'LOG_PRETTY',
      description: 'Human-readable lines instead of JSON.',
    }),
  },
  { default: {}, additionalProperties: false },
);

export const DatabaseConfig = Type.Object(
  {
    path: Type.String({
      default: 'data/elaoms.db',
      minLength: 1,
      env: 'DATABASE_PATH',
      description: 'SQLite file (WAL mode). ":memory:" for tests.',
    }),
    synchronous: Type.Union([Type.Literal('normal'), Type.Literal('full')], {
      default: 'normal',
      env: 'DATABASE_SYNCHRONOUS',
      description:
        'normal: durable across process crashes; full: fsync on every commit, durable across power loss.',
    }),
    busyTimeoutMs: Type.Integer({
      default: 5000,
      minimum: 0,
      env: 'DATABASE_BUSY_TIMEOUT_MS',
      description: 'How long a writer waits for another process holding the lock.',
    }),
    walAutocheckpointPages: Type.Integer({
      default: 10000,
      minimum: 0,
      maximum: 1_000_000,
      env: 'DATABASE_WAL_AUTOCHECKPOINT_PAGES',
      description:
        'WAL pages (4 KB) written before the committing connection copies the WAL into the database file itself; 0 never. The background checkpointer usually does it first.',
    }),
    checkpointIntervalMs: Type.Integer({
      default: 100,
      minimum: 0,
      maximum: 60_000,
      env: 'DATABASE_CHECKPOINT_INTERVAL_MS',
      description:
        'How often a worker thread copies the WAL into the database file, off the request path; 0 leaves it to SQLite after each commit.',
    }),
    migrationsTablePrefix: Type.String({
      default: '__elaoms_migrations',
      pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
      env: 'DATABASE_MIGRATIONS_TABLE_PREFIX',
      description:
        'Migrations are recorded in tables named <prefix>_<plugin>, so elaoms can share a database.',
    }),
  },
  { default: {}, additionalProperties: false },
);

export const RedisConfig = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        pattern: '^rediss?://',
        env: 'REDIS_URL',
        secret: true,
        description: 'Redis for shared caches and rate limits. Unset: in-memory, per process.',
      }),
    ),
    keyPrefix: Type.String({
      default: 'elaoms:',
      env: 'REDIS_KEY_PREFIX',
      description: 'Prefix of every key.',
    }),
  },
  { default: {}, additionalProperties: false },
);

export const ElevenLabsConfig = Type.Object(
  {
    apiKey: Type.Optional(
      Type.String({
        minLength: 1,
        env: 'ELEVENLABS_API_KEY',
        secret: true,
        description: 'ElevenLabs API key (xi-api-key).',
      }),
    ),
    baseUrl: url('ElevenLabs API origin (residency regions, test fakes).', 'ELEVENLABS_BASE_URL', {
      default: 'https://api.elevenlabs.io',
    }),
    timeoutMs: Type.Integer({
      default: 30000,
      minimum: 1,
      env: 'ELEVENLABS_TIMEOUT_MS',
      description: 'Timeout of one ElevenLabs API call (INT-1.6).',
    }),
  },
  { default: {}, additionalProperties: false },
);

export const ResilienceConfig = Type.Object(
  {
    maxRetries: Type.Integer({
      default: 3,
      minimum: 0,
      maximum: 20,
      env: 'MAX_RETRIES',
      description: 'Retries after the first attempt for transient failures (network, 429, 5xx).',
    }),
    baseDelayMs: Type.Integer({
      default: 1000,
      minimum: 1,
      env: 'RETRY_BASE_DELAY_MS',
      description: 'First backoff delay; doubles each retry.',
    }),
    maxDelayMs: Type.Integer({
      default: 10000,
      minimum: 1,
      env: 'RETRY_MAX_DELAY_MS',
      description: 'Backoff cap.',
    }),
    breakerThreshold: Type.Integer({
      default: 5,
      minimum: 1,
      env: 'CIRCUIT_BREAKER_THRESHOLD',
      description: 'Consecutive failures that open an upstream circuit.',
    }),
    breakerHalfOpenAfterMs: Type.Integer({
      default: 30000,
      minimum: 1,
      env: 'CIRCUIT_BREAKER_RESET_MS',
      description: 'How long an open circuit waits before letting one call through.',
    }),
  },
  { default: {}, additionalProperties: false },
);

export const coreSections = {
  server: ServerConfig,
  log: LogConfig,
  database: DatabaseConfig,
  redis: RedisConfig,
  elevenlabs: ElevenLabsConfig,
  resilience: ResilienceConfig,
} satisfies TProperties;

/** Joins the core sections and the plugin sections (each with an `enabled` switch) into one schema. */
export function composeSchema(
  plugins: Array<{ configKey: string; envPrefix: string; schema: TObject }>,
): TObject {
  const sections: TProperties = {
    $schema: Type.Optional(Type.String()),
    $comment: Type.Optional(Type.String()),
    ...coreSections,
  };
  for (const plugin of plugins) {
    sections[plugin.configKey] = Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          env: `${plugin.envPrefix}_ENABLED`,
          description: `Mount the ${plugin.configKey} plugin.`,
        }),
        ...plugin.schema.properties,
      },
      { default: {}, additionalProperties: false, description: plugin.schema.description },
    );
  }
  return Type.Object(sections, { additionalProperties: false });
}
