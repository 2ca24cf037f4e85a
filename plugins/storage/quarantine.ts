/**
 * Quarantine (SEC-6): a body is written here before its signature is checked. A passing body is
 * promoted into main storage at its final `{dir}/{conversation_id}_{type}.{ext}` path once its payload
 * fields are known; a failing one stays, is counted, and is swept after the quarantine retention.
 */
import { readFile, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import {
  errorText,
  fromDisk,
  isMissing,
  logWarnings,
  noteFailure,
  type StorageDeps,
  type StorageState,
  sha256Hex,
  toDisk,
} from './deps.ts';
import { type HeldCopy, type SaveInput, type SaveResult, saveFile } from './files.ts';
import { deleteFileRows, fileByPath, quarantinedBytes, setQuarantineStatus, upsertFile } from './records.ts';

/** What the caller knows about a held body: hmac-auth's QuarantineMeta (all optional here). */
export interface HoldMeta {
  requestId?: string;
  clientIp?: string;
  /** Unix ms the body arrived (informational; the row uses the plugin's clock). */
  receivedAt?: number;
  /** The request path. */
  path?: string;
}

/** Where a validated body goes: the payload fields; `body` replaces the raw bytes (decoded MP3). */
export type PromoteInput = Omit<SaveInput, 'validated' | 'body' | 'from'> & { body?: Uint8Array };

/** The outcome of the signature check, as hmac-auth's `release(id, { accepted, outcome })` reports it. */
export interface QuarantineVerdict {
  accepted: boolean;
  /** `accepted`, or why not (`mismatch`, `too_old`, `invalid_json`, `too_large`…). */
  outcome?: string;
  /** When given with `accepted`, the body is promoted at once. */
  target?: PromoteInput;
}

/**
 * The hook hmac-auth calls around its signature check (structurally its `QuarantineHook`, so
 * `hmacAuth.useQuarantine(storage.quarantine)` works), plus promotion for the webhook handler.
 */
export interface QuarantineStore {
  /** Writes the raw body before its signature is checked; returns its id, or null when off or failed. */
  hold(raw: Uint8Array | ArrayBuffer | string, meta?: HoldMeta): Promise<string | null>;
  /** Records the verdict: rejected bodies stay and are counted; accepted ones await {@link promote}. */
  release(id: string, verdict: QuarantineVerdict): Promise<void>;
  /** Moves a held body into main storage at its final path; null (logged, counted) on failure. */
  promote(id: string, target: PromoteInput): Promise<SaveResult | null>;
  /** Removes a held body without storing it (e.g. the handler stored the payload itself). */
  drop(id: string): Promise<void>;
  /**
   * The held copy when it passed and its bytes on disk are exactly `body` as a payload file would
   * hold them (no encryption on either side), so a save can rename it into place.
   */
  movableCopy(id: string, body: Uint8Array): HeldCopy | undefined;
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** How long the quarantine's byte count is trusted before it is summed from the table again. */
const USAGE_RESYNC_MS = 10_000;

/** Builds the quarantine store over the shared deps and counters. */
export function quarantineStore(deps: StorageDeps, state: StorageState): QuarantineStore {
  const { config, logger } = deps;

  // Summed from the table at most every USAGE_RESYNC_MS (other workers, the sweeper and promotions
  // change it); in between, each body held here is added, so a burst cannot overshoot the cap.
  const usage = { bytes: 0, syncedAt: Number.NEGATIVE_INFINITY };

  function overQuota(bytes: number): boolean {
    if (config.quarantineMaxBytes === 0) return false;
    const now = deps.clock.now();
    if (now - usage.syncedAt >= USAGE_RESYNC_MS) {
      usage.bytes = quarantinedBytes(deps.db);
      usage.syncedAt = now;
    }
    return usage.bytes + bytes > config.quarantineMaxBytes;
  }

  function pathOf(id: string): string | undefined {
    return ID.test(id) ? join(resolve(config.quarantinePath), `${id}.body`) : undefined;
  }

  async function hold(raw: Uint8Array | ArrayBuffer | string, meta: HoldMeta = {}): Promise<string | null> {
    if (!config.quarantineEnabled) return null;
    const id = crypto.randomUUID();
    const path = pathOf(id)!;
    // A Uint8Array is written as it is (the request's body, never changed after): no 23 KB copy.
    const plain =
      typeof raw === 'string'
        ? new TextEncoder().encode(raw)
        : raw instanceof Uint8Array
          ? raw
          : new Uint8Array(raw);
    if (overQuota(plain.length)) {
      deps.metrics.quarantine.inc({ outcome: 'over_quota' });
      logger.warn(
        { bytes: plain.length, quarantine_bytes: usage.bytes, limit: config.quarantineMaxBytes },
        'quarantine full; body checked without a quarantine copy',
      );
      return null;
    }
    try {
      const onDisk = await toDisk(deps, plain);
      const result = await writeFileAtomic(path, onDisk, { mode: config.fileMode, dirMode: config.dirMode });
      logWarnings(logger, result.warnings);
      upsertFile(deps.db, {
        path,
        type: 'quarantine',
        dir: '',
        requestId: meta.requestId ?? null,
        size: onDisk.length,
        plainSize: plain.length,
        sha256: sha256Hex(onDisk),
        encrypted: config.encryptionEnabled,
        validated: false,
        quarantined: true,
        status: 'held',
        createdAt: deps.clock.now(),
      });
      usage.bytes += onDisk.length;
      state.quarantine.held++;
      deps.metrics.quarantine.inc({ outcome: 'held' });
      return id;
    } catch (error) {
      await unlink(path).catch(() => {});
      state.quarantine.errors++;
      deps.metrics.quarantine.inc({ outcome: 'error' });
      noteFailure(deps, state, 'quarantine', error);
      logger.error({ reason: errorText(error), path: meta.path }, 'body could not be quarantined');
      deps.events?.emit('quarantine.failure', {
        ip: meta.clientIp ?? 'unknown',
        reason: errorText(error),
        requestId: meta.requestId,
      });
      return null;
    }
  }

  async function release(id: string, verdict: QuarantineVerdict): Promise<void> {
    const path = pathOf(id);
    const row = path ? fileByPath(deps.db, path) : undefined;
    if (!row) {
      logger.warn({ quarantine_id: id }, 'release of an unknown quarantine id');
      return;
    }
    if (!verdict.accepted) {
      setQuarantineStatus(deps.db, row.id, 'failed', false);
      state.quarantine.failed++;
      deps.metrics.quarantine.inc({ outcome: 'failed' });
      logger.warn({ quarantine_id: id, outcome: verdict.outcome }, 'quarantined body failed validation');
      return;
    }
    setQuarantineStatus(deps.db, row.id, 'passed', true);
    state.quarantine.passed++;
    deps.metrics.quarantine.inc({ outcome: 'passed' });
    if (verdict.target) await promote(id, verdict.target);
  }

  async function promote(id: string, target: PromoteInput): Promise<SaveResult | null> {
    const path = pathOf(id);
    const row = path ? fileByPath(deps.db, path) : undefined;
    if (!row || row.status === 'failed') {
      logger.warn({ quarantine_id: id }, 'promote of an unknown or failed quarantine id');
      return null;
    }
    let body = target.body;
    if (!body) {
      try {
        body = await fromDisk(deps, new Uint8Array(await readFile(row.path)), row.encrypted);
      } catch (error) {
        noteFailure(deps, state, 'promote', error);
        logger.error({ quarantine_id: id, reason: errorText(error) }, 'quarantined body could not be read');
        return null;
      }
    }
    // Unencrypted on both sides, the held file already holds the payload's bytes: move it.
    const from: HeldCopy | undefined =
      !target.body && !row.encrypted && !config.encryptionEnabled
        ? { path: row.path, rowId: row.id, sha256: row.sha256 }
        : undefined;
    const saved = await saveFile(deps, state, { ...target, body, validated: true, from });
    if (saved) {
      if (!from?.consumed) await drop(id);
      state.quarantine.promoted++;
    }
    return saved;
  }

  async function drop(id: string): Promise<void> {
    const path = pathOf(id);
    const row = path ? fileByPath(deps.db, path) : undefined;
    if (!path || !row) return;
    try {
      await unlink(path);
    } catch (error) {
      if (!isMissing(error)) {
        noteFailure(deps, state, 'quarantine-move', error);
        logger.error(
          { quarantine_id: id, reason: errorText(error) },
          'quarantined copy could not be removed',
        );
        return;
      }
    }
    deleteFileRows(deps.db, [row.id]);
  }

  function movableCopy(id: string, body: Uint8Array): HeldCopy | undefined {
    const path = pathOf(id);
    const row = path ? fileByPath(deps.db, path) : undefined;
    if (row?.status !== 'passed' || row.encrypted || config.encryptionEnabled) return undefined;
    if (row.plainSize !== body.length || row.sha256 !== sha256Hex(body)) return undefined;
    return { path: row.path, rowId: row.id, sha256: row.sha256 };
  }

  return { hold, release, promote, drop, movableCopy };
}
