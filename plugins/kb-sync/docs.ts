/** OpenAPI examples of the knowledge-base routes. */
import type { TSchema } from '@sinclair/typebox';
import { detail, jsonResponses, plain } from '../../src/http/openapi.ts';

export const DOCUMENT_EXAMPLE = {
  id: 'b3c1d2e4-5f60-4a7b-8c9d-0e1f2a3b4c5d',
  name: 'Opening hours',
  source_type: 'text',
  content: 'We are open Monday to Saturday, 9:00 to 22:00.',
  file_name: null,
  file_type: null,
  size: 46,
  content_hash: 'sha256:9f2c…',
  sync_status: 'failed',
  elevenlabs_document_id: null,
  sync_error_message: 'API key invalid',
  sync_error_type: 'auth_error',
  sync_error_detail: 'HTTP 401: Invalid API key',
  last_sync_attempt: '2026-11-23T11:05:54.000Z',
  sync_retry_count: 0,
  created_at: '2026-11-23T11:05:52.000Z',
  updated_at: '2026-11-23T11:05:54.000Z',
};

const unauthorized: [string, unknown[] | Record<string, unknown>] = [
  'Admin key missing or wrong',
  detail('Invalid authentication'),
];
const missing: [string, Record<string, unknown>] = [
  'No such document',
  detail('Knowledge document not found'),
];

/** The create route's docs: its body as JSON (`json`, without the file) or a form, with examples. */
export const createDocs = (schemas: { json: TSchema; form: TSchema }) => ({
  requestBody: {
    required: true,
    content: {
      'application/json': {
        schema: plain(schemas.json),
        example: { name: 'Opening hours', text: 'We are open Monday to Saturday, 9:00 to 22:00.' },
      },
      'multipart/form-data': {
        schema: plain(schemas.form),
        example: { name: 'Menu', file: '(a PDF, TXT, DOCX, HTML or EPUB file)' },
      },
    },
  },
  ...jsonResponses({
    201: [
      'Stored; it syncs in the background',
      {
        ...DOCUMENT_EXAMPLE,
        sync_status: 'pending',
        sync_error_message: null,
        sync_error_type: null,
        sync_error_detail: null,
        last_sync_attempt: null,
      },
    ],
    401: unauthorized,
    422: ['Not exactly one of text, url or file', detail('Give exactly one of text, url or file')],
  }),
});

export const listDocs = jsonResponses({
  200: [
    'Documents, newest first',
    {
      documents: [DOCUMENT_EXAMPLE],
      counts: { pending: 0, syncing: 0, completed: 3, failed: 1 },
      sync_enabled: true,
    },
  ],
  401: unauthorized,
});

export const oneDocs = jsonResponses({
  200: ['The document', DOCUMENT_EXAMPLE],
  401: unauthorized,
  404: missing,
});

export const retryDocs = jsonResponses({
  200: ['Queued again, error cleared', { ...DOCUMENT_EXAMPLE, sync_status: 'pending', sync_retry_count: 1 }],
  404: missing,
  409: ['Not a failed document', detail('Document is syncing; wait for it to finish')],
});

export const retryFailedDocs = jsonResponses({
  200: ['Every failed document queued again', { retried: 1, ids: [DOCUMENT_EXAMPLE.id] }],
  401: unauthorized,
});

export const deleteDocs = jsonResponses({
  200: ['Deleted here and at ElevenLabs', { id: DOCUMENT_EXAMPLE.id, deleted: true }],
  404: missing,
  502: [
    'ElevenLabs refused; the document was kept with the error',
    detail('ElevenLabs could not delete the document: Server error (HTTP 503); it was kept'),
  ],
});
