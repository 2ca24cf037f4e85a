/**
 * The documents table as the plugin uses it: insert, read, the atomic claim that turns a pending
 * row into a syncing one, and the guarded transitions (completed, failed, back to pending).
 * Every write after a claim checks the claim token, so a worker whose lease expired cannot
 * overwrite what a newer worker decided.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, getColumns, inArray, lt, ne, not, or, sql } from 'drizzle-orm';
import type { Db } from '../../src/db/index.ts';
import { leases } from '../../src/db/schema.ts';
import type { SyncError } from './errors.ts';
import { type KbDocumentRow, kbDocuments } from './schema.ts';

export type SyncStatus = 'pending' | 'syncing' | 'completed' | 'failed';
export const SYNC_STATUSES: readonly SyncStatus[] = ['pending', 'syncing', 'completed', 'failed'];
export type SourceType = 'text' | 'url' | 'file';

/** A row without the file bytes, for lists and answers. */
export type DocumentMeta = Omit<KbDocumentRow, 'fileData'>;

const { fileData: _bytes, ...metaColumns } = getColumns(kbDocuments);

export interface NewDocument {
  id: string;
  name: string;
  sourceType: SourceType;
  content: string | null;
  fileData: Uint8Array | null;
  fileName: string | null;
  fileType: string | null;
  sizeBytes: number;
  contentHash: string;
}

/** Stores a new document as `pending`: the queue entry and the source of truth at once. */
export function insertDocument(db: Db, doc: NewDocument, nowMs: number): DocumentMeta {
  const fileData = doc.fileData
    ? Buffer.from(doc.fileData.buffer, doc.fileData.byteOffset, doc.fileData.byteLength)
    : null;
  return db
    .insert(kbDocuments)
    .values({ ...doc, fileData, syncStatus: 'pending', createdAt: nowMs, updatedAt: nowMs })
    .returning(metaColumns)
    .get();
}

export function getDocument(db: Db, id: string): DocumentMeta | undefined {
  return db.select(metaColumns).from(kbDocuments).where(eq(kbDocuments.id, id)).get();
}

/** Newest first, optionally only one status. */
export function listDocuments(
  db: Db,
  options: { status?: SyncStatus; limit: number; offset: number },
): DocumentMeta[] {
  return db
    .select(metaColumns)
    .from(kbDocuments)
    .where(options.status ? eq(kbDocuments.syncStatus, options.status) : undefined)
    .orderBy(desc(kbDocuments.createdAt), desc(sql`rowid`))
    .limit(options.limit)
    .offset(options.offset)
    .all();
}

/** Documents per status (for health and the page's summary). */
export function countByStatus(db: Db): Record<SyncStatus, number> {
  const counts: Record<SyncStatus, number> = { pending: 0, syncing: 0, completed: 0, failed: 0 };
  const rows = db
    .select({ status: kbDocuments.syncStatus, n: sql<number>`count(*)` })
    .from(kbDocuments)
    .groupBy(kbDocuments.syncStatus)
    .all();
  for (const row of rows) counts[row.status as SyncStatus] = Number(row.n);
  return counts;
}

/**
 * Claims the oldest claimable document (pending, or `syncing` with a dead holder) in one UPDATE, so
 * two workers never claim the same row and, because the statement takes SQLite's write lock before it
 * reads, the limit holds across processes sharing the file: it claims only while fewer than
 * `concurrency` rows are being synced by live holders. `owner` is this process's instance id; the
 * claim token is `<owner>/<random>` so other processes can tell whether the holder is still alive.
 */
export function claimNext(
  db: Db,
  owner: string,
  nowMs: number,
  leaseMs: number,
  concurrency: number,
): KbDocumentRow | undefined {
  const next = db
    .select({ id: kbDocuments.id })
    .from(kbDocuments)
    .where(claimable(nowMs, leaseMs))
    .orderBy(kbDocuments.createdAt, sql`rowid`)
    .limit(1);
  const token = `${owner}/${randomUUID()}`;
  return db
    .update(kbDocuments)
    .set({ syncStatus: 'syncing', claim: token, lastSyncAttempt: nowMs, updatedAt: nowMs })
    .where(and(inArray(kbDocuments.id, next), sql`(${liveCount(db, nowMs, leaseMs)}) < ${concurrency}`))
    .returning()
    .get();
}

function heldBy(id: string, token: string) {
  return and(eq(kbDocuments.id, id), eq(kbDocuments.claim, token), eq(kbDocuments.syncStatus, 'syncing'));
}

/** Renews the claim before each attempt; false when the claim was lost. */
export function touchAttempt(db: Db, id: string, token: string, nowMs: number): boolean {
  const r = db
    .update(kbDocuments)
    .set({ lastSyncAttempt: nowMs, updatedAt: nowMs })
    .where(heldBy(id, token))
    .run();
  return changes(r) === 1;
}

export function markCompleted(db: Db, id: string, token: string, remoteId: string, nowMs: number): boolean {
  const r = db
    .update(kbDocuments)
    .set({
      syncStatus: 'completed',
      elevenlabsDocumentId: remoteId,
      syncErrorMessage: null,
      syncErrorType: null,
      syncErrorDetail: null,
      claim: null,
      updatedAt: nowMs,
    })
    .where(heldBy(id, token))
    .run();
  return changes(r) === 1;
}

export function markFailed(db: Db, id: string, token: string, error: SyncError, nowMs: number): boolean {
  const r = db
    .update(kbDocuments)
    .set({ syncStatus: 'failed', ...errorFields(error), claim: null, updatedAt: nowMs })
    .where(heldBy(id, token))
    .run();
  return changes(r) === 1;
}

/** Records a failed remote delete on a row that stays (its status is unchanged). */
export function markDeleteFailed(db: Db, id: string, error: SyncError, nowMs: number): void {
  db.update(kbDocuments)
    .set({ ...errorFields(error), syncErrorDetail: `Delete failed: ${error.detail}`, updatedAt: nowMs })
    .where(eq(kbDocuments.id, id))
    .run();
}

function errorFields(error: SyncError) {
  return { syncErrorMessage: error.message, syncErrorType: error.type, syncErrorDetail: error.detail };
}

/** failed → pending: clears the error and counts the retry. Returns the row, or undefined when not failed. */
export function requeueFailed(db: Db, id: string, nowMs: number): DocumentMeta | undefined {
  return db
    .update(kbDocuments)
    .set(requeueSet(nowMs))
    .where(and(eq(kbDocuments.id, id), eq(kbDocuments.syncStatus, 'failed')))
    .returning(metaColumns)
    .get();
}

/** Every failed document back to pending; returns their ids. */
export function requeueAllFailed(db: Db, nowMs: number): string[] {
  return db
    .update(kbDocuments)
    .set(requeueSet(nowMs))
    .where(eq(kbDocuments.syncStatus, 'failed'))
    .returning({ id: kbDocuments.id })
    .all()
    .map((r) => r.id);
}

function requeueSet(nowMs: number) {
  return {
    syncStatus: 'pending',
    syncErrorMessage: null,
    syncErrorType: null,
    syncErrorDetail: null,
    syncRetryCount: sql`${kbDocuments.syncRetryCount} + 1`,
    claim: null,
    updatedAt: nowMs,
  } as const;
}

/** Deletes the row unless a worker is syncing it; true when deleted. */
export function deleteUnlessSyncing(db: Db, id: string): boolean {
  const r = db
    .delete(kbDocuments)
    .where(and(eq(kbDocuments.id, id), ne(kbDocuments.syncStatus, 'syncing')))
    .run();
  return changes(r) === 1;
}

function changes(result: unknown): number {
  return Number((result as { changes?: number | bigint }).changes ?? 0);
}

/** Gives a claimed document back to the queue (the worker is stopping before its next attempt). */
export function releaseClaim(db: Db, id: string, token: string, nowMs: number): void {
  db.update(kbDocuments)
    .set({ syncStatus: 'pending', claim: null, updatedAt: nowMs })
    .where(heldBy(id, token))
    .run();
}

/** Whether a document could be claimed now: one is waiting and a slot of the shared limit is free. */
export function hasClaimable(db: Db, nowMs: number, leaseMs: number, concurrency: number): boolean {
  const row = db
    .select({ id: kbDocuments.id })
    .from(kbDocuments)
    .where(and(claimable(nowMs, leaseMs), sql`(${liveCount(db, nowMs, leaseMs)}) < ${concurrency}`))
    .limit(1)
    .get();
  return row !== undefined;
}

/** Lease name a running process renews while it works; the suffix is its instance id. */
export const WORKER_LEASE = 'kb-sync.worker:';

/**
 * A `syncing` row whose holder is gone: its last attempt is older than the lease, or its claim names
 * an owner (`<owner>/…`) whose worker lease in elaoms_leases is missing or expired (a process that
 * died; it is picked up at once instead of after leaseMs). Tokens without an owner only expire.
 */
function holderGone(nowMs: number, leaseMs: number) {
  const owner = sql`substr(${kbDocuments.claim}, 1, instr(${kbDocuments.claim}, '/') - 1)`;
  return or(
    lt(kbDocuments.lastSyncAttempt, nowMs - leaseMs),
    sql`(instr(${kbDocuments.claim}, '/') > 1 AND NOT EXISTS (SELECT 1 FROM ${leases} WHERE ${leases.name} = ${WORKER_LEASE} || ${owner} AND ${leases.expiresAt} > ${nowMs}))`,
  );
}

function claimable(nowMs: number, leaseMs: number) {
  return or(
    eq(kbDocuments.syncStatus, 'pending'),
    and(eq(kbDocuments.syncStatus, 'syncing'), holderGone(nowMs, leaseMs)),
  );
}

/** Rows being synced right now by a live holder, in this process or another one on the same file. */
function liveCount(db: Db, nowMs: number, leaseMs: number) {
  return db
    .select({ n: sql<number>`count(*)` })
    .from(kbDocuments)
    .where(and(eq(kbDocuments.syncStatus, 'syncing'), not(holderGone(nowMs, leaseMs) ?? sql`0`)));
}
