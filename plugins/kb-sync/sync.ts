/**
 * Syncing one claimed document to ElevenLabs: the SDK call for its source kind, retried for
 * rate_limit, server_error and network failures with 1 s, 2 s, 4 s… delays (Retry-After wins when
 * longer, capped), every attempt through the core's circuit breaker, every attempt logged.
 *
 * Why an explicit loop rather than cockatiel's retry policy: the delays must come from an injected
 * `sleep` so tests check the schedule in milliseconds, and a stopping worker must be able to cancel
 * a pending delay and give the document back to the queue. The breaker stays cockatiel's
 * (`createUpstream` with `maxRetries: 0` runs exactly one call per `execute`).
 */
import type { Clock } from '../../src/clock.ts';
import type { Db } from '../../src/db/index.ts';
import type { ElevenLabsClient } from '../../src/elevenlabs.ts';
import type { Logger } from '../../src/log.ts';
import { BrokenCircuitError, backoffDelay, type Upstream } from '../../src/resilience.ts';
import type { KbSyncConfig } from './config.ts';
import { classifySyncError, type SyncError } from './errors.ts';
import type { KbDocumentRow } from './schema.ts';
import { markCompleted, markFailed, releaseClaim, touchAttempt } from './store.ts';

/** Waits `ms`; rejects when `signal` aborts (the worker is stopping). */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface SyncDeps {
  config: KbSyncConfig;
  db: Db;
  clock: Clock;
  logger: Logger;
  client: ElevenLabsClient;
  upstream: Upstream;
  sleep: Sleep;
  /** Aborted when the worker stops. */
  signal: AbortSignal;
  /** Outcome counter (completed, failed, released, lost). */
  count?(result: string): void;
}

/** The real timer, cancellable. */
export const realSleep: Sleep = function sleep(ms, signal) {
  return new Promise(function wait(resolve, reject) {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(function done() {
      signal.removeEventListener('abort', cancel);
      resolve();
    }, ms);
    function cancel() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener('abort', cancel, { once: true });
  });
};

/**
 * Thrown instead of the SDK's abort error when the worker stops mid-call. It has no cause, so it is
 * not classified as a network error: the breaker does not count our own shutdown as a failure.
 */
export class SyncStopped extends Error {
  constructor() {
    super('kb-sync stopping');
    this.name = 'SyncStopped';
  }
}

/**
 * The SDK call for one document; resolves with the ElevenLabs document id. `signal` aborts the
 * request (the worker is stopping) so the process does not close its database under a live upload.
 */
export async function createRemote(
  client: ElevenLabsClient,
  row: KbDocumentRow,
  signal?: AbortSignal,
): Promise<string> {
  try {
    return await callCreate(client, row, { abortSignal: signal });
  } catch (error) {
    if (signal?.aborted) throw new SyncStopped();
    throw error;
  }
}

async function callCreate(
  client: ElevenLabsClient,
  row: KbDocumentRow,
  options: { abortSignal?: AbortSignal },
): Promise<string> {
  const documents = client.conversationalAi.knowledgeBase.documents;
  if (row.sourceType === 'text') {
    return (await documents.createFromText({ text: row.content ?? '', name: row.name }, options)).id;
  }
  if (row.sourceType === 'url') {
    return (await documents.createFromUrl({ url: row.content ?? '', name: row.name }, options)).id;
  }
  const file = {
    data: new Uint8Array(row.fileData ?? new Uint8Array()),
    filename: row.fileName ?? row.name,
    contentType: row.fileType || 'application/octet-stream',
  };
  return (await documents.createFromFile({ file, name: row.name }, options)).id;
}

function errorFields(error: SyncError) {
  const cause = error.cause as Error | undefined;
  return {
    error_type: error.type,
    status: error.status,
    detail: error.detail,
    err: {
      type: cause?.name ?? 'Error',
      message: cause?.message ?? error.detail,
      stack: cause?.stack ?? error.stack,
    },
  };
}

/** Syncs a claimed row until it is completed, failed, or handed back because the worker stops. */
export async function syncDocument(row: KbDocumentRow, deps: SyncDeps): Promise<void> {
  const { config, db, clock, logger } = deps;
  const token = row.claim ?? '';
  const base = {
    document_id: row.id,
    name: row.name,
    source: row.sourceType,
    content_length: row.sizeBytes,
    max_attempts: config.maxRetryAttempts + 1,
  };
  let last: SyncError | undefined;
  for (let attempt = 1; ; attempt++) {
    const delay = last ? backoffDelay(config, attempt - 1, last.retryAfterMs) : 0;
    if (delay > 0) {
      try {
        await deps.sleep(delay, deps.signal);
      } catch {
        releaseClaim(db, row.id, token, clock.now());
        logger.info(
          { ...base, attempt, delay_ms: delay, result: 'released' },
          'kb sync stopped before retry',
        );
        deps.count?.('released');
        return;
      }
      if (!touchAttempt(db, row.id, token, clock.now())) {
        logger.warn({ ...base, attempt, result: 'lost' }, 'kb sync claim lost; another worker owns it');
        deps.count?.('lost');
        return;
      }
    }
    const started = performance.now();
    try {
      const remoteId = await deps.upstream.execute(() => createRemote(deps.client, row, deps.signal));
      const fields = {
        ...base,
        attempt,
        delay_ms: delay,
        duration_ms: Math.round(performance.now() - started),
      };
      if (markCompleted(db, row.id, token, remoteId, clock.now())) {
        logger.info({ ...fields, result: 'completed', elevenlabs_document_id: remoteId }, 'kb sync attempt');
        deps.count?.('completed');
      } else {
        logger.warn({ ...fields, result: 'lost', elevenlabs_document_id: remoteId }, 'kb sync claim lost');
        deps.count?.('lost');
        await discardOrphan(deps, remoteId);
      }
      return;
    } catch (error) {
      if (error instanceof SyncStopped || deps.signal.aborted) {
        // Not an attempt that failed: the document goes back to the queue as it was.
        releaseClaim(db, row.id, token, clock.now());
        logger.info(
          { ...base, attempt, delay_ms: delay, result: 'released' },
          'kb sync stopped during upload; document queued again',
        );
        deps.count?.('released');
        return;
      }
      // An open circuit mid-retry keeps the document's own last error: it says more than "circuit open".
      const failure =
        error instanceof BrokenCircuitError && last ? last : classifySyncError(error, clock.now());
      const fields = {
        ...base,
        attempt,
        delay_ms: delay,
        duration_ms: Math.round(performance.now() - started),
      };
      const again =
        failure.retryable &&
        !(error instanceof BrokenCircuitError) &&
        attempt <= config.maxRetryAttempts &&
        !deps.signal.aborted;
      if (again) {
        logger.warn(
          { ...fields, result: failure.type, ...errorFields(failure) },
          'kb sync attempt failed; will retry',
        );
        last = failure;
        continue;
      }
      markFailed(db, row.id, token, failure, clock.now());
      logger.error({ ...fields, result: failure.type, ...errorFields(failure) }, 'kb sync failed');
      deps.count?.('failed');
      return;
    }
  }
}

/** The document was created but our row moved on (deleted, re-claimed): do not leave a stray copy. */
async function discardOrphan(deps: SyncDeps, remoteId: string): Promise<void> {
  try {
    await deps.client.conversationalAi.knowledgeBase.documents.delete(remoteId);
  } catch (error) {
    deps.logger.warn(
      { elevenlabs_document_id: remoteId, detail: classifySyncError(error).detail },
      'could not delete orphaned ElevenLabs document',
    );
  }
}
