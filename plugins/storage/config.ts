/**
 * The storage section: where webhook payloads and quarantined bodies go, their permissions, Fernet
 * encryption at rest, and the retention sweeper (CONF-2, SEC-4, SEC-5, SEC-6, PERF-4). Env names follow
 * Appendix A of the 004 requirements where one exists.
 */
import { type Static, Type } from '@sinclair/typebox';

export const StorageConfig = Type.Object(
  {
    path: Type.String({
      default: 'data/webhooks',
      minLength: 1,
      env: 'WEBHOOK_STORAGE_PATH',
      description: 'Base folder of stored webhook payloads and their .metadata.json sidecars (CONF-2.1).',
    }),
    quarantinePath: Type.String({
      default: 'data/webhooks/quarantine',
      minLength: 1,
      env: 'WEBHOOK_QUARANTINE_PATH',
      description: 'Folder for bodies whose signature is not checked yet, or failed (CONF-2.2, SEC-6).',
    }),
    quarantineEnabled: Type.Boolean({
      default: true,
      env: 'WEBHOOK_QUARANTINE_ENABLED',
      description: 'Write each body to quarantine before its signature is checked (SEC-6.2).',
    }),
    quarantineMaxBytes: Type.Integer({
      default: 1024 ** 3,
      minimum: 0,
      env: 'WEBHOOK_QUARANTINE_MAX_BYTES',
      description:
        'Most bytes the quarantine folder may hold. A header with a fresh timestamp and a forged digest gets its body quarantined, so without a cap anyone could fill the disk; a body that would go over is checked without a copy (logged, counted). 0: no cap.',
    }),
    fileMode: Type.Integer({
      default: 0o600,
      minimum: 0,
      maximum: 0o777,
      octal: true,
      env: 'FILE_PERMISSIONS_MODE',
      description: 'Mode of stored files; decimal 384 or octal 0600 (SEC-4.1, SEC-4.3).',
    }),
    dirMode: Type.Integer({
      default: 0o700,
      minimum: 0,
      maximum: 0o777,
      octal: true,
      env: 'DIR_PERMISSIONS_MODE',
      description: 'Mode of folders storage creates; decimal 448 or octal 0700 (SEC-4.2).',
    }),
    encryptionEnabled: Type.Boolean({
      default: false,
      env: 'ENABLE_ENCRYPTION_AT_REST',
      description: 'Write Fernet tokens instead of plaintext; needs ENCRYPTION_KEY (SEC-5).',
    }),
    encryptionKey: Type.Optional(
      Type.String({
        minLength: 1,
        env: 'ENCRYPTION_KEY',
        secret: true,
        description:
          'Fernet key(s), comma-separated: the first encrypts, all decrypt (rotation). Make one with `bun run elaoms keygen`.',
      }),
    ),
    retentionDays: Type.Number({
      default: 30,
      exclusiveMinimum: 0,
      env: 'WEBHOOK_RETENTION_DAYS',
      description: 'Stored payloads older than this are deleted by the sweeper (PERF-4.1, CONF-2.4).',
    }),
    quarantineRetentionDays: Type.Number({
      default: 7,
      exclusiveMinimum: 0,
      env: 'QUARANTINE_RETENTION_DAYS',
      description: 'Quarantined bodies older than this are deleted by the sweeper (SEC-6.5, PERF-4.3).',
    }),
    cleanupEveryRequests: Type.Integer({
      default: 100,
      minimum: 0,
      env: 'CLEANUP_FREQUENCY_REQUESTS',
      description:
        'Run the sweeper after this many webhook requests (at most once per 10 s); 0 turns the request trigger off (PERF-4.4).',
    }),
    cleanupEverySeconds: Type.Integer({
      default: 3600,
      minimum: 0,
      env: 'CLEANUP_FREQUENCY_SECONDS',
      description: 'Run the sweeper this often; 0 turns the timer off (PERF-4.4).',
    }),
    failureWindowSeconds: Type.Integer({
      default: 300,
      minimum: 1,
      env: 'STORAGE_FAILURE_WINDOW_SECONDS',
      description: 'A write failure within this window makes the storage health check report down.',
    }),
  },
  { default: {}, additionalProperties: false, description: 'Webhook payload files, quarantine, retention.' },
);

export type StorageConfig = Static<typeof StorageConfig>;
