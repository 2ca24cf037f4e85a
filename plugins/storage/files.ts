/**
 * Payload files: save (directory rule, conflict suffix, Fernet, atomic write, sidecar, row), read
 * (decrypting), verify (checksum) and erase. A failed save is logged and counted and returns null;
 * it never throws (NFR-1.2, ERR-3.1).
 */
import { lstat, readFile, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { transaction } from '../../src/db/index.ts';
import { type AtomicWarning, moveFileAtomic, writeFileAtomic } from './atomic.ts';
import {
  errorText,
  fromDisk,
  isMissing,
  logWarnings,
  looksEncrypted,
  noteFailure,
  type StorageDeps,
  type StorageState,
  sha256Hex,
  toDisk,
} from './deps.ts';
import {
  conflictSuffix,
  directoryId,
  directoryName,
  ensureInside,
  fileName,
  isWithin,
  type PayloadExt,
  type PayloadIds,
  sidecarOf,
} from './layout.ts';
import { deleteFileRows, fileByPath, upsertFile } from './records.ts';
import { PathEscapeError, sanitizeSegment } from './sanitize.ts';
import type { StoredFileRow } from './schema.ts';

/** What {@link saveFile} stores. */
export interface SaveInput extends PayloadIds {
  /** The request that carried the payload (sidecar `request_id`). */
  requestId?: string;
  /** Whether the HMAC signature was checked and passed (sidecar `validated`). */
  validated: boolean;
  /** The plaintext: JSON bytes, or the MP3 already decoded from base64. */
  body: Uint8Array;
  ext: PayloadExt;
  /**
   * A file (same filesystem, already fsynced) holding exactly the bytes this save would write: it
   * is renamed into place instead (the quarantined copy of a verified body). Written anew if the
   * rename fails.
   */
  from?: HeldCopy;
}

/** The quarantined copy a save may move into place ({@link SaveInput.from}). */
export interface HeldCopy {
  path: string;
  /** Its storage_files row: deleted in the transaction that writes the payload's row, when moved. */
  rowId: number;
  /** The SHA-256 of its bytes (its row's): a moved copy is not hashed again. */
  sha256: string;
  /** Set by {@link saveFile} once the copy was moved and its row deleted: nothing is left to drop. */
  consumed?: boolean;
}

/** Where a payload went. */
export interface SaveResult {
  /** Row id in storage_files. */
  id: number;
  /** Absolute path of the payload file. */
  path: string;
  /** Bytes on disk (the token when encrypted). */
  bytes: number;
  encrypted: boolean;
}

const MAX_CONFLICT_ATTEMPTS = 1000;

/** Paths being written by this process, so two concurrent saves never pick the same name. */
const inFlight = new Set<string>();

/** Saves one payload and its sidecar; returns null (logged, counted) on any failure. */
export async function saveFile(
  deps: StorageDeps,
  state: StorageState,
  input: SaveInput,
): Promise<SaveResult | null> {
  const { config, logger } = deps;
  const warnings: AtomicWarning[] = [];
  let path: string | undefined;
  let written = false;
  /** The held copy, once moved to `path` (put back if the save fails after). */
  let from: string | undefined;
  try {
    const dir = await ensureInside(config.path, payloadDir(deps, input), config.dirMode, warnings);
    const onDisk = await toDisk(deps, input.body);
    const createdAt = deps.clock.now();
    const modes = { mode: config.fileMode, dirMode: config.dirMode, exclusive: true };
    /** Moves the held copy, or writes the bytes, to `target` without replacing a file there. */
    async function place(target: string): Promise<void> {
      if (input.from) {
        try {
          warnings.push(...(await moveFileAtomic(input.from.path, target, modes)).warnings);
          from = input.from.path;
          return;
        } catch (error) {
          if (isTaken(error)) throw error; // otherwise the bytes are written anew
        }
      }
      warnings.push(...(await writeFileAtomic(target, onDisk, modes)).warnings);
    }
    // Another process may claim the same free name in the same instant: the exclusive placement
    // fails for one of them, which takes the next name (inFlight only covers this process).
    for (let attempt = 0; ; attempt++) {
      path = await freeName(dir, input, input.ext, deps.clock.now());
      try {
        await place(path);
        break;
      } catch (error) {
        inFlight.delete(path);
        if (!isTaken(error) || attempt >= MAX_CONFLICT_ATTEMPTS) throw error;
      }
    }
    written = true;
    const sidecar = {
      webhook_type: input.webhookType,
      validated: input.validated,
      timestamp: new Date(createdAt).toISOString(),
      file_path: path,
      request_id: input.requestId ?? null,
      file_size: onDisk.length,
      directory_name: directoryName(config.path, path),
      encrypted: config.encryptionEnabled,
      plaintext_size: input.body.length,
    };
    const meta = await writeFileAtomic(sidecarOf(path), `${JSON.stringify(sidecar, null, 2)}\n`, {
      mode: config.fileMode,
      dirMode: config.dirMode,
    });
    warnings.push(...meta.warnings);
    const fileRow = {
      path,
      type: input.webhookType,
      conversationId: input.conversationId,
      callerPhone: input.callerPhone ?? null,
      agentId: input.agentId ?? null,
      dir: sidecar.directory_name,
      requestId: input.requestId ?? null,
      size: onDisk.length,
      plainSize: input.body.length,
      sha256: from ? input.from!.sha256 : sha256Hex(onDisk),
      encrypted: config.encryptionEnabled,
      validated: input.validated,
      quarantined: false,
      status: null,
      createdAt,
    };
    // A moved held copy leaves its quarantine row pointing at nothing: it goes in the same commit,
    // so no crash leaves both rows, and the save costs one commit instead of two.
    const held = from ? input.from : undefined;
    const row = held
      ? transaction(deps.db, () => {
          const written = upsertFile(deps.db, fileRow);
          deleteFileRows(deps.db, [held.rowId]);
          return written;
        })
      : upsertFile(deps.db, fileRow);
    if (held) held.consumed = true;
    logWarnings(logger, warnings);
    state.saved++;
    state.bytes += onDisk.length;
    deps.metrics.saved.inc({ type: sanitizeSegment(input.webhookType, { maxBytes: 48 }) });
    deps.metrics.bytes.inc(onDisk.length);
    logger.info(
      {
        file_id: row.id,
        webhook_type: input.webhookType,
        conversation_id: input.conversationId,
        bytes: onDisk.length,
        encrypted: config.encryptionEnabled,
      },
      'payload stored',
    );
    return { id: row.id, path, bytes: onDisk.length, encrypted: config.encryptionEnabled };
  } catch (error) {
    // A moved file goes back where it came from (the held copy stays); a written one is removed.
    if (written && path && from) await rename(path, from).catch(() => {});
    if (written && path) await removeQuietly(from ? sidecarOf(path) : path, sidecarOf(path));
    logWarnings(logger, warnings);
    noteFailure(deps, state, 'save', error);
    const escaped = error instanceof PathEscapeError;
    logger.error(
      { err: escaped ? undefined : error, reason: errorText(error), webhook_type: input.webhookType },
      escaped ? 'payload refused: path outside the storage folder' : 'payload could not be stored',
    );
    return null;
  } finally {
    if (path) inFlight.delete(path);
  }
}

/** The sanitized directory of a payload; never the quarantine folder when that lies inside the base. */
function payloadDir(deps: StorageDeps, ids: PayloadIds): string {
  const name = sanitizeSegment(directoryId(ids));
  const target = join(resolve(deps.config.path), name);
  return isWithin(deps.config.quarantinePath, target) ? `_${name}` : name;
}

/** `{conversation}_{type}.{ext}`, or with a timestamp when taken (FR-4.6); reserved until the save ends. */
async function freeName(dir: string, ids: PayloadIds, ext: PayloadExt, nowMs: number): Promise<string> {
  for (let attempt = -1; attempt < MAX_CONFLICT_ATTEMPTS; attempt++) {
    const suffix = attempt < 0 ? '' : conflictSuffix(nowMs, attempt);
    const path = join(dir, fileName(ids, ext, suffix));
    if (inFlight.has(path)) continue;
    inFlight.add(path); // reserved before the first await, so a concurrent save moves on
    const taken = await Promise.all([exists(path), exists(sidecarOf(path))]).catch((error) => {
      inFlight.delete(path);
      throw error;
    });
    if (!taken[0] && !taken[1]) return path;
    inFlight.delete(path);
  }
  throw new Error('no free file name after several conflict suffixes');
}

function isTaken(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === 'EEXIST';
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

/** The plaintext of a stored file (payload or quarantined body), decrypting when it is a token. */
export async function readStored(deps: StorageDeps, path: string): Promise<Uint8Array> {
  const target = resolve(path);
  const { config } = deps;
  if (!isWithin(config.path, target) && !isWithin(config.quarantinePath, target)) {
    throw new PathEscapeError(resolve(config.path), target);
  }
  const bytes = new Uint8Array(await readFile(target));
  const row = fileByPath(deps.db, target);
  return fromDisk(deps, bytes, row ? row.encrypted : looksEncrypted(bytes));
}

/** Result of {@link verifyStored}. */
export interface VerifyResult {
  ok: boolean;
  /** Why not: no such row, file missing, checksum differs, or the token does not decrypt. */
  problem?: 'unknown' | 'missing' | 'checksum' | 'undecryptable';
}

/** Checks a stored file against its row: present, same SHA-256, and decrypting when encrypted. */
export async function verifyStored(deps: StorageDeps, row: StoredFileRow | undefined): Promise<VerifyResult> {
  if (!row) return { ok: false, problem: 'unknown' };
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(row.path));
  } catch (error) {
    if (isMissing(error)) return { ok: false, problem: 'missing' };
    throw error;
  }
  if (sha256Hex(bytes) !== row.sha256) return { ok: false, problem: 'checksum' };
  if (row.encrypted) {
    try {
      await fromDisk(deps, bytes, true);
    } catch {
      return { ok: false, problem: 'undecryptable' };
    }
  }
  return { ok: true };
}

/** Deletes a stored file and its sidecar; returns the bytes freed. Missing files count as 0 bytes. */
export async function removeStored(row: StoredFileRow): Promise<number> {
  let freed = 0;
  for (const path of row.quarantined ? [row.path] : [row.path, sidecarOf(row.path)]) {
    try {
      const info = await lstat(path);
      await unlink(path);
      freed += info.size;
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
  return freed;
}

async function removeQuietly(...paths: string[]): Promise<void> {
  for (const p of paths) await unlink(p).catch(() => {});
}
