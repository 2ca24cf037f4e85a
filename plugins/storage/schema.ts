/** The storage plugin's tables: every stored file, and every sweeper run. */
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * One row per file storage wrote (payloads and quarantined bodies, not sidecars), so files can be listed,
 * verified, erased and swept without walking the tree. `sha256` is of the bytes on disk (the Fernet
 * token when encrypted), so verify() checks a file without the key.
 */
export const storageFiles = sqliteTable(
  'storage_files',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Absolute path of the file. */
    path: text('path').notNull().unique(),
    /** Webhook type (post_call_transcription, post_call_audio, call_initiation_failure) or `quarantine`. */
    type: text('type').notNull(),
    conversationId: text('conversation_id'),
    callerPhone: text('caller_phone'),
    agentId: text('agent_id'),
    /** The sanitized directory name under the base folder. */
    dir: text('dir').notNull(),
    requestId: text('request_id'),
    /** Bytes on disk (the token when encrypted). */
    size: integer('size').notNull(),
    /** Bytes of the plaintext. */
    plainSize: integer('plain_size').notNull(),
    /** SHA-256 hex of the bytes on disk, like `size` (the token when encrypted). */
    sha256: text('sha256').notNull(),
    encrypted: integer('encrypted', { mode: 'boolean' }).notNull(),
    validated: integer('validated', { mode: 'boolean' }).notNull(),
    /** 1 while the file lies in quarantine. */
    quarantined: integer('quarantined', { mode: 'boolean' }).notNull().default(false),
    /** Quarantine only: held (not checked yet), passed (checked, awaiting promotion) or failed. */
    status: text('status'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('storage_files_created_idx').on(t.quarantined, t.createdAt),
    index('storage_files_conversation_idx').on(t.conversationId),
    index('storage_files_caller_idx').on(t.callerPhone),
  ],
);

/** One row per retention sweep (PERF-4.5). */
export const storageSweeps = sqliteTable('storage_sweeps', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  startedAt: integer('started_at').notNull(),
  filesDeleted: integer('files_deleted').notNull(),
  bytesFreed: integer('bytes_freed').notNull(),
  durationMs: integer('duration_ms').notNull(),
  /** What the run had to skip or could not delete; null when none. */
  errors: integer('errors').notNull().default(0),
});

export type StoredFileRow = typeof storageFiles.$inferSelect;
export type SweepRow = typeof storageSweeps.$inferSelect;
