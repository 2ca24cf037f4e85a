/** The kb-sync plugin's table: each knowledge document, its content, and where its sync stands. */
import { blob, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * One row per knowledge document. Rows in `pending` are the sync queue; a worker claims one by
 * setting `syncing`, a fresh `claim` token and `last_sync_attempt`. Times are epoch milliseconds.
 */
export const kbDocuments = sqliteTable(
  'kb_documents',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** text | url | file */
    sourceType: text('source_type').notNull(),
    /** The text of a text document, the address of a url document; null for files. */
    content: text('content'),
    /** The bytes of a file document. */
    fileData: blob('file_data', { mode: 'buffer' }),
    fileName: text('file_name'),
    fileType: text('file_type'),
    /** Characters of text, characters of the URL, or bytes of the file. */
    sizeBytes: integer('size_bytes').notNull(),
    /** sha256 hex of the text, URL or file bytes. */
    contentHash: text('content_hash').notNull(),
    /** pending | syncing | completed | failed */
    syncStatus: text('sync_status').notNull().default('pending'),
    elevenlabsDocumentId: text('elevenlabs_document_id'),
    /** The user message of the error class (001 design, error table). */
    syncErrorMessage: text('sync_error_message'),
    /** rate_limit | auth_error | validation | server_error | network | unknown */
    syncErrorType: text('sync_error_type'),
    /** What ElevenLabs said (status and message), for the expandable error details. */
    syncErrorDetail: text('sync_error_detail'),
    lastSyncAttempt: integer('last_sync_attempt'),
    /** Manual retries (retry-sync, retry-failed) of this document. */
    syncRetryCount: integer('sync_retry_count').notNull().default(0),
    /** `<instance id>/<random>` of the worker holding the `syncing` claim; a stale worker's result is discarded. */
    claim: text('claim'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('kb_documents_status_idx').on(t.syncStatus, t.createdAt),
    index('kb_documents_created_idx').on(t.createdAt),
  ],
);

export type KbDocumentRow = typeof kbDocuments.$inferSelect;
