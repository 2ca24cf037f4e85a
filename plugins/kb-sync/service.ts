/**
 * The kb-sync service: stores documents (the table is the queue), runs the sync workers, and
 * carries out the admin actions (retry one, retry all failed, delete here and at ElevenLabs).
 * Runtime-agnostic: database, clock, logger, SDK client, breaker and sleep are injected.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import type { Clock } from '../../src/clock.ts';
import type { Db } from '../../src/db/index.ts';
import { acquireLease, releaseLease } from '../../src/db/leases.ts';
import type { ElevenLabsClient } from '../../src/elevenlabs.ts';
import type { Logger } from '../../src/log.ts';
import { metric } from '../../src/metrics.ts';
import type { Upstream } from '../../src/resilience.ts';
import type { KbSyncConfig } from './config.ts';
import { classifySyncError, type SyncError } from './errors.ts';
import type { KbDocumentRow } from './schema.ts';
import * as store from './store.ts';
import { realSleep, type Sleep, syncDocument } from './sync.ts';
import { createWorker } from './worker.ts';

export type { DocumentMeta, SourceType, SyncStatus } from './store.ts';

/** What a document is made from: exactly one of text, url or file. */
export type DocumentInput =
  | { name?: string; text: string }
  | { name?: string; url: string }
  | { name?: string; file: { bytes: Uint8Array; filename: string; type: string } };

export type RetryOutcome =
  | { kind: 'queued'; document: store.DocumentMeta }
  | { kind: 'not_found' }
  | { kind: 'conflict'; status: store.SyncStatus };

export type DeleteOutcome =
  | { kind: 'deleted' }
  | { kind: 'not_found' }
  | { kind: 'syncing' }
  | { kind: 'not_configured' }
  | { kind: 'remote_failed'; error: SyncError };

export interface KbSyncServiceOptions {
  config: KbSyncConfig;
  db: Db;
  clock: Clock;
  logger: Logger;
  /** The SDK client; null when ELEVENLABS_API_KEY is not set (documents then stay pending). */
  client: ElevenLabsClient | null;
  /** The breaker every ElevenLabs call goes through. */
  upstream: Upstream;
  /** This process's id (ctx.instanceId): the owner part of its claims, and its worker lease. */
  instanceId?: string;
  sleep?: Sleep;
  metrics?: Registry;
}

/**
 * How long this process's worker lease lasts without renewal, and how often it is renewed. A claim
 * whose owner's lease is gone is taken over at once (a process that died), so the TTL is the longest
 * event-loop stall we tolerate before a live upload may be taken over; even then the stale worker's
 * result is discarded and its copy deleted (store guards), so a stall costs an upload, never a duplicate.
 */
const WORKER_LEASE_TTL_MS = 30_000;
const WORKER_LEASE_RENEW_MS = 5_000;

export interface KbSyncService {
  /** Whether documents are being synced (an API key is configured). */
  readonly syncEnabled: boolean;
  create(input: DocumentInput): store.DocumentMeta;
  get(id: string): store.DocumentMeta | undefined;
  list(options: { status?: store.SyncStatus; limit: number; offset: number }): store.DocumentMeta[];
  counts(): Record<store.SyncStatus, number>;
  retry(id: string): RetryOutcome;
  retryFailed(): string[];
  remove(id: string, options?: { force?: boolean }): Promise<DeleteOutcome>;
  breakerState(): string;
  start(): void;
  stop(): Promise<void>;
  /** Resolves when no sync is running or waiting (tests, CLI). */
  settle(): Promise<void>;
}

function outcomes(registry: Registry) {
  return metric(
    registry,
    'kb_sync',
    () =>
      new Counter({
        name: 'elaoms_kb_sync_total',
        help: 'Knowledge document syncs by outcome',
        labelNames: ['result'],
        registers: [registry],
      }),
  );
}

function sourceOf(input: DocumentInput): store.NewDocument {
  const id = randomUUID();
  const hash = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
  if ('text' in input) {
    const name = input.name?.trim() || input.text.trim().slice(0, 50) || 'Untitled';
    const common = { fileData: null, fileName: null, fileType: null };
    return {
      id,
      name,
      sourceType: 'text',
      content: input.text,
      sizeBytes: input.text.length,
      contentHash: hash(input.text),
      ...common,
    };
  }
  if ('url' in input) {
    const name = input.name?.trim() || input.url;
    const common = { fileData: null, fileName: null, fileType: null };
    return {
      id,
      name,
      sourceType: 'url',
      content: input.url,
      sizeBytes: input.url.length,
      contentHash: hash(input.url),
      ...common,
    };
  }
  const { bytes, filename, type } = input.file;
  return {
    id,
    name: input.name?.trim() || filename || 'Untitled',
    sourceType: 'file',
    content: null,
    fileData: bytes,
    fileName: filename || 'upload',
    fileType: type || 'application/octet-stream',
    sizeBytes: bytes.byteLength,
    contentHash: hash(bytes),
  };
}

export function createKbSyncService(options: KbSyncServiceOptions): KbSyncService {
  const { config, db, clock, logger, client, upstream } = options;
  const counter = options.metrics ? outcomes(options.metrics) : undefined;
  const instanceId = options.instanceId ?? randomUUID();
  const leaseName = `${store.WORKER_LEASE}${instanceId}`;
  let stopping = new AbortController();
  let heartbeat: ReturnType<typeof setInterval> | undefined;

  function renewLease(): void {
    try {
      acquireLease(db, leaseName, instanceId, clock.now(), WORKER_LEASE_TTL_MS);
    } catch (error) {
      logger.warn({ err: error }, 'kb sync could not renew its worker lease');
    }
  }

  const worker = createWorker<KbDocumentRow>({
    concurrency: config.concurrency,
    pollIntervalMs: config.pollIntervalMs,
    claim: () => store.claimNext(db, instanceId, clock.now(), config.leaseMs, config.concurrency),
    hasWork: () => store.hasClaimable(db, clock.now(), config.leaseMs, config.concurrency),
    run: (row) =>
      syncDocument(row, {
        config,
        db,
        clock,
        logger,
        client: client!,
        upstream,
        sleep: options.sleep ?? realSleep,
        signal: stopping.signal,
        count: (result) => counter?.inc({ result }),
      }),
    onError: (error) => logger.error({ err: error }, 'kb sync worker error'),
  });

  return {
    syncEnabled: client !== null,
    create(input) {
      const document = store.insertDocument(db, sourceOf(input), clock.now());
      logger.info(
        {
          document_id: document.id,
          name: document.name,
          source: document.sourceType,
          content_length: document.sizeBytes,
        },
        'knowledge document stored',
      );
      worker.wake();
      return document;
    },
    get: (id) => store.getDocument(db, id),
    list: (listOptions) => store.listDocuments(db, listOptions),
    counts: () => store.countByStatus(db),
    retry(id) {
      const document = store.requeueFailed(db, id, clock.now());
      if (document) {
        logger.info(
          { document_id: id, retry_count: document.syncRetryCount },
          'knowledge document sync retry',
        );
        worker.wake();
        return { kind: 'queued', document };
      }
      const current = store.getDocument(db, id);
      if (!current) return { kind: 'not_found' };
      return { kind: 'conflict', status: current.syncStatus as store.SyncStatus };
    },
    retryFailed() {
      const ids = store.requeueAllFailed(db, clock.now());
      logger.info({ count: ids.length }, 'failed knowledge documents queued again');
      if (ids.length) worker.wake();
      return ids;
    },
    async remove(id, removeOptions = {}) {
      const row = store.getDocument(db, id);
      if (!row) return { kind: 'not_found' };
      if (row.syncStatus === 'syncing') return { kind: 'syncing' };
      if (row.elevenlabsDocumentId) {
        if (!client) return { kind: 'not_configured' };
        const remoteId = row.elevenlabsDocumentId;
        try {
          await upstream.execute(() =>
            client.conversationalAi.knowledgeBase.documents.delete(remoteId, { force: removeOptions.force }),
          );
        } catch (error) {
          const failure = classifySyncError(error, clock.now());
          if (failure.status !== 404) {
            store.markDeleteFailed(db, id, failure, clock.now());
            logger.error(
              {
                document_id: id,
                elevenlabs_document_id: remoteId,
                error_type: failure.type,
                detail: failure.detail,
                err: { message: failure.detail, stack: (error as Error)?.stack },
              },
              'ElevenLabs delete failed; document kept',
            );
            return { kind: 'remote_failed', error: failure };
          }
          logger.info(
            { document_id: id, elevenlabs_document_id: remoteId },
            'ElevenLabs document already gone',
          );
        }
      }
      if (!store.deleteUnlessSyncing(db, id))
        return store.getDocument(db, id) ? { kind: 'syncing' } : { kind: 'not_found' };
      logger.info(
        { document_id: id, elevenlabs_document_id: row.elevenlabsDocumentId },
        'knowledge document deleted',
      );
      return { kind: 'deleted' };
    },
    breakerState: () => upstream.state(),
    start() {
      if (!client || worker.running) return;
      stopping = new AbortController();
      renewLease();
      heartbeat = setInterval(renewLease, WORKER_LEASE_RENEW_MS);
      (heartbeat as { unref?: () => void }).unref?.();
      worker.start();
    },
    /**
     * Aborts the uploads in flight (the SDK's abortSignal) and any retry delay, so every claimed
     * document goes back to `pending` before the core closes the database, well within its budget.
     */
    async stop() {
      stopping.abort(new Error('kb-sync stopping'));
      await worker.stop();
      if (heartbeat === undefined) return;
      clearInterval(heartbeat);
      heartbeat = undefined;
      try {
        releaseLease(db, leaseName, instanceId);
      } catch {
        // The database may be closing; the lease expires by itself.
      }
    },
    settle: () => worker.settle(),
  };
}
