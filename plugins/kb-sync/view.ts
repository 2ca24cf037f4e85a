/** The JSON shape of a knowledge document in every answer (snake_case, times as ISO strings). */
import type { DocumentMeta } from './store.ts';

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A document as the API shows it; `withContent` adds the text or URL (never file bytes). */
export function documentJson(row: DocumentMeta, withContent = false) {
  return {
    id: row.id,
    name: row.name,
    source_type: row.sourceType,
    ...(row.sourceType === 'url' ? { url: row.content } : {}),
    ...(withContent && row.sourceType === 'text' ? { content: row.content } : {}),
    file_name: row.fileName,
    file_type: row.fileType,
    size: row.sizeBytes,
    content_hash: row.contentHash,
    sync_status: row.syncStatus,
    elevenlabs_document_id: row.elevenlabsDocumentId,
    sync_error_message: row.syncErrorMessage,
    sync_error_type: row.syncErrorType,
    sync_error_detail: row.syncErrorDetail,
    last_sync_attempt: iso(row.lastSyncAttempt),
    sync_retry_count: row.syncRetryCount,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

export type DocumentJson = ReturnType<typeof documentJson>;
