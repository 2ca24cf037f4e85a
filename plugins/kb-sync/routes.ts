/**
 * The admin routes under /api/knowledge, each behind header-auth's `{ apiKey: 'admin' }`
 * (ADMIN_API_KEYS; 401 without a valid key, 503 when none is configured). Each route carries a
 * TypeBox schema and a summary for /docs; answers are the document JSON (view.ts) or `{"detail": …}`.
 */
import { Value } from '@sinclair/typebox/value';
import { Elysia, t, ValidationError } from 'elysia';
import { HttpError } from '../../src/http/errors.ts';
import type { headerAuthApp } from '../header-auth/index.ts';
import type { KbSyncConfig } from './config.ts';
import { createDocs, deleteDocs, listDocs, oneDocs, retryDocs, retryFailedDocs } from './docs.ts';
import type { DocumentInput, KbSyncService } from './service.ts';
import { SYNC_STATUSES, type SyncStatus } from './store.ts';
import { documentJson } from './view.ts';

const tags = ['knowledge'];
const Id = t.Object({ id: t.String({ minLength: 1, maxLength: 100 }) });

const CreateBody = t.Object({
  name: t.Optional(
    t.String({
      maxLength: 200,
      description: 'Display name; defaults to the start of the text, the URL or the file name.',
    }),
  ),
  text: t.Optional(t.String({ minLength: 1, description: 'Text content (JSON or a form field).' })),
  url: t.Optional(
    t.String({ pattern: '^https?://', maxLength: 2048, description: 'A web page ElevenLabs fetches.' }),
  ),
  file: t.Optional(t.File({ description: 'A file (multipart/form-data): PDF, TXT, DOCX, HTML, EPUB.' })),
});

type CreateBody = typeof CreateBody.static;

async function toInput(body: CreateBody, config: KbSyncConfig): Promise<DocumentInput> {
  const given = [body.text, body.url, body.file].filter((v) => v !== undefined && v !== '').length;
  if (given !== 1) throw new HttpError(422, 'Give exactly one of text, url or file');
  if (body.text !== undefined) {
    if (body.text.length > config.maxTextChars) {
      throw new HttpError(413, `Text is longer than ${config.maxTextChars} characters`);
    }
    return { name: body.name, text: body.text };
  }
  if (body.url !== undefined) return { name: body.name, url: body.url };
  const file = body.file!;
  if (file.size > config.maxFileBytes)
    throw new HttpError(413, `File is larger than ${config.maxFileBytes} bytes`);
  if (file.size === 0) throw new HttpError(422, 'File is empty');
  const bytes = new Uint8Array(await file.arrayBuffer());
  return { name: body.name, file: { bytes, filename: file.name, type: file.type.split(';')[0] ?? '' } };
}

function notFound(): never {
  throw new HttpError(404, 'Knowledge document not found');
}

/** header-auth's Elysia instance, whose macro guards every route here. */
export type AdminAuth = ReturnType<typeof headerAuthApp>;

/** The /api/knowledge routes over `service`, guarded by `auth`'s admin key. */
export function knowledgeRoutes(service: KbSyncService, config: KbSyncConfig, auth: AdminAuth) {
  return new Elysia({ name: 'elaoms/kb-sync/routes', seed: config })
    .use(auth)
    .post(
      '/api/knowledge',
      async function createDocument({ body, set }) {
        // Checked here rather than by a `body` schema: Elysia's OpenAPI generator drops the
        // requestBody of a route whose parsing a macro (the admin key) takes over, so /docs shows
        // this route's body from `createDocs`; a failure answers 422 like any schema failure.
        if (!Value.Check(CreateBody, body)) throw new ValidationError('body', CreateBody, body);
        const document = service.create(await toInput(body, config));
        set.status = 201;
        return documentJson(document, true);
      },
      {
        apiKey: 'admin',
        detail: {
          ...createDocs({ json: t.Omit(CreateBody, ['file']), form: CreateBody }),
          summary: 'Add a knowledge document (text, URL or file); it syncs to ElevenLabs in the background',
          tags,
        },
      },
    )
    .get(
      '/api/knowledge',
      function listDocuments({ query }) {
        const documents = service.list({
          status: query.status as SyncStatus | undefined,
          limit: query.limit ?? 100,
          offset: query.offset ?? 0,
        });
        return {
          documents: documents.map((d) => documentJson(d)),
          counts: service.counts(),
          sync_enabled: service.syncEnabled,
        };
      },
      {
        apiKey: 'admin',
        query: t.Object({
          status: t.Optional(t.Union(SYNC_STATUSES.map((s) => t.Literal(s)))),
          limit: t.Optional(t.Integer({ minimum: 1, maximum: 500 })),
          offset: t.Optional(t.Integer({ minimum: 0 })),
        }),
        detail: {
          ...listDocs,
          summary: 'List knowledge documents, newest first, optionally by sync status',
          tags,
        },
      },
    )
    .post(
      '/api/knowledge/retry-failed',
      function retryFailed() {
        const ids = service.retryFailed();
        return { retried: ids.length, ids };
      },
      {
        apiKey: 'admin',
        detail: { ...retryFailedDocs, summary: 'Queue every failed document for another sync', tags },
      },
    )
    .get(
      '/api/knowledge/:id',
      function getDocument({ params }) {
        const document = service.get(params.id);
        return document ? documentJson(document, true) : notFound();
      },
      {
        apiKey: 'admin',
        params: Id,
        detail: { ...oneDocs, summary: 'One knowledge document with its sync status and error', tags },
      },
    )
    .post(
      '/api/knowledge/:id/retry-sync',
      function retrySync({ params }) {
        const outcome = service.retry(params.id);
        if (outcome.kind === 'not_found') return notFound();
        if (outcome.kind === 'conflict') {
          throw new HttpError(
            409,
            outcome.status === 'syncing'
              ? 'Document is syncing; wait for it to finish'
              : `Only failed documents can be retried (status: ${outcome.status})`,
          );
        }
        return documentJson(outcome.document, true);
      },
      {
        apiKey: 'admin',
        params: Id,
        detail: {
          ...retryDocs,
          summary: 'Sync a failed document again (clears its error, counts the retry)',
          tags,
        },
      },
    )
    .delete(
      '/api/knowledge/:id',
      async function deleteDocument({ params, query }) {
        const outcome = await service.remove(params.id, { force: query.force });
        switch (outcome.kind) {
          case 'deleted':
            return { id: params.id, deleted: true };
          case 'not_found':
            return notFound();
          case 'syncing':
            throw new HttpError(409, 'Document is syncing; delete it when it has finished');
          case 'not_configured':
            throw new HttpError(503, 'ELEVENLABS_API_KEY is not configured');
          case 'remote_failed':
            throw new HttpError(
              502,
              `ElevenLabs could not delete the document: ${outcome.error.message} (${outcome.error.detail}); it was kept`,
            );
        }
      },
      {
        apiKey: 'admin',
        params: Id,
        query: t.Object({
          force: t.Optional(
            t.Boolean({ description: 'Delete at ElevenLabs even when agents use it (detaches it).' }),
          ),
        }),
        detail: {
          ...deleteDocs,
          summary: 'Delete a document here and at ElevenLabs (kept, with the error, if ElevenLabs fails)',
          tags,
        },
      },
    );
}
