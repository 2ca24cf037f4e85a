/**
 * The kbSync section: how hard a sync tries (retries, backoff), how many uploads run at once,
 * how long a `syncing` claim lasts before another worker may take it over, and upload limits.
 * The API key and base URL are the core's `elevenlabs` section (ELEVENLABS_API_KEY, ELEVENLABS_BASE_URL).
 */
import { type Static, Type } from '@sinclair/typebox';

export const KbSyncConfig = Type.Object(
  {
    maxRetryAttempts: Type.Integer({
      default: 3,
      minimum: 0,
      maximum: 10,
      env: 'KB_SYNC_MAX_ATTEMPTS',
      description:
        'Retry attempts after the first call, for rate_limit, server_error and network errors only (000 FR-2.2). 3 gives delays of 1 s, 2 s, 4 s: at most 4 calls per sync.',
    }),
    baseDelayMs: Type.Integer({
      default: 1000,
      minimum: 1,
      env: 'KB_SYNC_BASE_DELAY_MS',
      description: 'First retry delay; it doubles on each retry (NFR-1: 1 s, 2 s, 4 s).',
    }),
    maxDelayMs: Type.Integer({
      default: 10000,
      minimum: 1,
      env: 'KB_SYNC_MAX_DELAY_MS',
      description: 'Longest retry delay, also the cap on a Retry-After from ElevenLabs.',
    }),
    concurrency: Type.Integer({
      default: 2,
      minimum: 1,
      maximum: 32,
      env: 'KB_SYNC_CONCURRENCY',
      description:
        'Uploads running at once across every process sharing the database, so a bulk import stays under the ElevenLabs concurrency limit.',
    }),
    leaseMs: Type.Integer({
      default: 120000,
      minimum: 1000,
      env: 'KB_SYNC_LEASE_MS',
      description:
        'A document left `syncing` longer than this since its last attempt (a crashed process) is picked up again. Must exceed one call (elevenlabs.timeoutMs) plus the longest delay.',
    }),
    pollIntervalMs: Type.Integer({
      default: 5000,
      minimum: 50,
      env: 'KB_SYNC_POLL_MS',
      description:
        'How often an idle worker looks for work it was not told about (other processes, expired leases).',
    }),
    maxFileBytes: Type.Integer({
      default: 20971520,
      minimum: 1,
      env: 'KB_SYNC_MAX_FILE_BYTES',
      description: 'Largest file upload (ElevenLabs accepts 20 MB per document on non-enterprise plans).',
    }),
    maxTextChars: Type.Integer({
      default: 300000,
      minimum: 1,
      env: 'KB_SYNC_MAX_TEXT_CHARS',
      description: 'Longest text document (ElevenLabs accepts 300k characters on non-enterprise plans).',
    }),
    ui: Type.Boolean({
      default: true,
      env: 'KB_SYNC_UI',
      description: 'Serve the knowledge page at GET /ui/knowledge.',
    }),
  },
  { default: {}, additionalProperties: false, description: 'Knowledge-base sync to ElevenLabs.' },
);

export type KbSyncConfig = Static<typeof KbSyncConfig>;
