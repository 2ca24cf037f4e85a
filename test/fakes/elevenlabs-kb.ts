/**
 * Knowledge-base documents for the fake ElevenLabs API: what is stored, and the wire shapes of
 * `GET /v1/convai/knowledge-base/{id}` (detail, discriminated on `type`) and of the list endpoint
 * (summary items with `dependent_agents`). Required keys follow the SDK 2.73.0 serializers.
 */
import { randomTail } from './elevenlabs-agent.ts';

export type KbType = 'text' | 'url' | 'file';

export interface KbDocument {
  id: string;
  type: KbType;
  name: string;
  /** Text documents: the text as sent. File documents: the bytes decoded as UTF-8. */
  text?: string;
  url?: string;
  filename?: string;
  fileType?: string;
  bytes?: Uint8Array;
  parentFolderId?: string;
  /** Other create-time fields as sent (e.g. `enable_auto_sync`). */
  extra: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export function newDocumentId(): string {
  return randomTail(20).replace(/^./, 'k');
}

export function sizeBytes(doc: KbDocument): number {
  if (doc.bytes) return doc.bytes.byteLength;
  return new TextEncoder().encode(doc.text ?? doc.url ?? '').byteLength;
}

function accessInfo(): Record<string, unknown> {
  return { is_creator: true, creator_name: 'Test Owner', creator_email: 'owner@example.com', role: 'admin' };
}

function common(doc: KbDocument): Record<string, unknown> {
  return {
    id: doc.id,
    name: doc.name,
    type: doc.type,
    metadata: {
      created_at_unix_secs: doc.createdAt,
      last_updated_at_unix_secs: doc.updatedAt,
      size_bytes: sizeBytes(doc),
    },
    supported_usages: ['prompt', 'auto'],
    access_info: accessInfo(),
    folder_parent_id: doc.parentFolderId,
    folder_path: [],
  };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Shape of `GET /v1/convai/knowledge-base/{documentation_id}`. */
export function documentDetail(doc: KbDocument): Record<string, unknown> {
  const html = `<p>${escapeHtml(doc.text ?? `Content fetched from ${doc.url ?? doc.name}`)}</p>`;
  const body: Record<string, unknown> = {
    ...common(doc),
    extracted_inner_html: html,
    content_format: 'html',
  };
  if (doc.type === 'url') body.url = doc.url;
  if (doc.type === 'file') body.filename = doc.filename;
  return body;
}

/** One item of `GET /v1/convai/knowledge-base` `documents[]`. */
export function documentSummary(doc: KbDocument, dependentAgentIds: string[]): Record<string, unknown> {
  const body: Record<string, unknown> = {
    ...common(doc),
    dependent_agents: dependentAgentIds.map(function available(id) {
      return { type: 'available', id, name: id, created_at_unix_secs: doc.createdAt, access_level: 'admin' };
    }),
  };
  if (doc.type === 'url') body.url = doc.url;
  return body;
}

export interface ListQuery {
  pageSize: number;
  cursor?: string;
  search?: string;
  types: string[];
}

/** Newest first, `search` = case-insensitive name prefix, cursor = opaque offset. */
export function listPage(docs: KbDocument[], query: ListQuery): { page: KbDocument[]; nextCursor?: string } {
  const filtered = docs
    .filter(function wanted(doc) {
      if (query.types.length > 0 && !query.types.includes(doc.type)) return false;
      if (query.search && !doc.name.toLowerCase().startsWith(query.search.toLowerCase())) return false;
      return true;
    })
    .reverse();
  const start = query.cursor ? Number.parseInt(atob(query.cursor), 10) || 0 : 0;
  const page = filtered.slice(start, start + query.pageSize);
  const end = start + page.length;
  return { page, nextCursor: end < filtered.length ? btoa(String(end)) : undefined };
}
