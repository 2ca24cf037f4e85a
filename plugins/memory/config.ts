/**
 * The memory section: which backend stores what callers said (MEMORY_BACKEND), and how to reach the
 * remote ones. Retries and the circuit breaker come from the core's `resilience` section.
 */
import { type Static, Type } from '@sinclair/typebox';

export const MemoryConfig = Type.Object(
  {
    backend: Type.Union(
      [Type.Literal('auto'), Type.Literal('embedded'), Type.Literal('openmemory'), Type.Literal('mem0')],
      {
        default: 'auto',
        env: 'MEMORY_BACKEND',
        description:
          'embedded: our SQLite with full-text search (nothing else to install); openmemory or mem0: that HTTP server; auto: openmemory when OPENMEMORY_API_KEY is set (as the predecessor was configured), mem0 when MEM0_API_KEY is set, else embedded.',
      },
    ),
    timeoutMs: Type.Integer({
      default: 30000,
      minimum: 1,
      env: 'MEMORY_TIMEOUT_MS',
      description: 'Timeout of one call to a remote memory backend (INT-2.7).',
    }),
    searchLimitMax: Type.Integer({
      default: 50,
      minimum: 1,
      maximum: 200,
      env: 'MEMORY_SEARCH_LIMIT_MAX',
      description:
        'Largest number of memories one search or listing returns (the search-data tool asks for at most 50).',
    }),
    searchLimitDefault: Type.Integer({
      default: 5,
      minimum: 1,
      maximum: 200,
      env: 'MEMORY_SEARCH_LIMIT_DEFAULT',
      description: 'Memories returned by a search that does not ask for a number.',
    }),
    recencyHalfLifeDays: Type.Number({
      default: 30,
      exclusiveMinimum: 0,
      env: 'MEMORY_RECENCY_HALF_LIFE_DAYS',
      description:
        'Embedded search: a memory this old weighs half as much as a new one of equal text relevance.',
    }),
    openmemory: Type.Object(
      {
        url: Type.String({
          default: 'http://localhost:8080',
          pattern: '^https?://',
          env: 'OPENMEMORY_URL',
          description: 'OpenMemory server URL (INT-2.1).',
        }),
        apiKey: Type.Optional(
          Type.String({
            minLength: 1,
            env: 'OPENMEMORY_API_KEY',
            secret: true,
            description:
              'OpenMemory API key, sent as X-API-Key (INT-2.2). Required when MEMORY_BACKEND=openmemory.',
          }),
        ),
        chunkChars: Type.Integer({
          default: 200,
          minimum: 80,
          maximum: 200000,
          env: 'OPENMEMORY_CHUNK_CHARS',
          description:
            "Longest text sent in one /memory/add, tag included. Keep it at the server's OM_SUMMARY_MAX_LENGTH (200) unless OM_USE_SUMMARY_ONLY=false, or longer texts are cut.",
        }),
      },
      { default: {}, additionalProperties: false },
    ),
    mem0: Type.Object(
      {
        flavour: Type.Union([Type.Literal('oss'), Type.Literal('platform')], {
          default: 'oss',
          env: 'MEM0_FLAVOUR',
          description:
            'oss: the self-hosted mem0 REST server (X-API-Key); platform: api.mem0.ai (Authorization: Token).',
        }),
        url: Type.Optional(
          Type.String({
            pattern: '^https?://',
            env: 'MEM0_URL',
            description:
              'mem0 server URL. Default: http://localhost:8000 (oss) or https://api.mem0.ai (platform).',
          }),
        ),
        apiKey: Type.Optional(
          Type.String({
            minLength: 1,
            env: 'MEM0_API_KEY',
            secret: true,
            description:
              'mem0 API key. Required when MEMORY_BACKEND=mem0 (any value for a server with AUTH_DISABLED).',
          }),
        ),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { default: {}, additionalProperties: false, description: 'Memory backend: where callers’ memories live.' },
);

export type MemoryConfig = Static<typeof MemoryConfig>;
