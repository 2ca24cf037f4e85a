/** The storage tables behind the service: one row per stored file, one per sweep. */
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { type Db, preparedQueries } from '../../src/db/index.ts';
import { type StoredFileRow, type SweepRow, storageFiles, storageSweeps } from './schema.ts';

export type NewFileRow = typeof storageFiles.$inferInsert;

const p = sql.placeholder;

/** The columns {@link upsertFile} writes: every one but the id. */
const FILE_COLUMNS = [
  'path',
  'type',
  'conversationId',
  'callerPhone',
  'agentId',
  'dir',
  'requestId',
  'size',
  'plainSize',
  'sha256',
  'encrypted',
  'validated',
  'quarantined',
  'status',
  'createdAt',
] as const;

/** The queries of the request path (quarantine, save), prepared once per database. */
const queries = preparedQueries((db) => ({
  upsert: db
    .insert(storageFiles)
    .values(Object.fromEntries(FILE_COLUMNS.map((c) => [c, p(c)])) as unknown as NewFileRow)
    .onConflictDoUpdate({
      target: storageFiles.path,
      set: Object.fromEntries(
        FILE_COLUMNS.filter((c) => c !== 'path').map((c) => [c, sql.raw(`excluded.${storageFiles[c].name}`)]),
      ),
    })
    .returning()
    .prepare(),
  byId: db
    .select()
    .from(storageFiles)
    .where(eq(storageFiles.id, p('id')))
    .prepare(),
  byPath: db
    .select()
    .from(storageFiles)
    .where(eq(storageFiles.path, p('path')))
    .prepare(),
  deleteOne: db
    .delete(storageFiles)
    .where(eq(storageFiles.id, p('id')))
    .prepare(),
  setStatus: db
    .update(storageFiles)
    .set({ status: p('status'), validated: p('validated') })
    .where(eq(storageFiles.id, p('id')))
    .prepare(),
}));

/**
 * Records a file; a row with the same path (a file written again in place) is replaced. Every
 * column is given (an absent optional one is NULL, or false for `quarantined`).
 */
export function upsertFile(db: Db, row: NewFileRow): StoredFileRow {
  const values: Record<string, unknown> = {};
  for (const column of FILE_COLUMNS) values[column] = row[column] ?? null;
  values.quarantined ??= false;
  return queries(db).upsert.get(values)!;
}

/** Bytes on disk of every quarantined body. */
export function quarantinedBytes(db: Db): number {
  const row = db
    .select({ bytes: sql<number>`total(${storageFiles.size})` })
    .from(storageFiles)
    .where(eq(storageFiles.quarantined, true))
    .get();
  return Number(row?.bytes ?? 0);
}

export function fileById(db: Db, id: number): StoredFileRow | undefined {
  return queries(db).byId.get({ id });
}

export function fileByPath(db: Db, path: string): StoredFileRow | undefined {
  return queries(db).byPath.get({ path });
}

/** Filters for {@link listFiles}. */
export interface ListFilter {
  quarantined?: boolean;
  conversationId?: string;
  callerPhone?: string;
  type?: string;
  limit?: number;
}

/** Rows newest first. */
export function listFiles(db: Db, filter: ListFilter = {}): StoredFileRow[] {
  const where = [];
  if (filter.quarantined !== undefined) where.push(eq(storageFiles.quarantined, filter.quarantined));
  if (filter.conversationId !== undefined) where.push(eq(storageFiles.conversationId, filter.conversationId));
  if (filter.callerPhone !== undefined) where.push(eq(storageFiles.callerPhone, filter.callerPhone));
  if (filter.type !== undefined) where.push(eq(storageFiles.type, filter.type));
  return db
    .select()
    .from(storageFiles)
    .where(and(...where))
    .orderBy(desc(storageFiles.createdAt), desc(storageFiles.id))
    .limit(filter.limit ?? 1000)
    .all();
}

/** Rows of conversations (any of `ids`) or of one caller, for right-to-erasure. */
export function filesOf(db: Db, by: { conversationIds?: string[]; callerPhone?: string }): StoredFileRow[] {
  if (by.conversationIds) {
    if (by.conversationIds.length === 0) return [];
    return db
      .select()
      .from(storageFiles)
      .where(inArray(storageFiles.conversationId, by.conversationIds))
      .all();
  }
  return db
    .select()
    .from(storageFiles)
    .where(eq(storageFiles.callerPhone, by.callerPhone ?? ''))
    .all();
}

/** Payload rows created before `payloadBefore` and quarantine rows created before `quarantineBefore`. */
export function expiredFiles(db: Db, payloadBefore: number, quarantineBefore: number, limit: number) {
  return db
    .select()
    .from(storageFiles)
    .where(
      sql`(${storageFiles.quarantined} = 0 AND ${lt(storageFiles.createdAt, payloadBefore)})
        OR (${storageFiles.quarantined} = 1 AND ${lt(storageFiles.createdAt, quarantineBefore)})`,
    )
    .orderBy(storageFiles.createdAt)
    .limit(limit)
    .all();
}

export function deleteFileRows(db: Db, ids: number[]): void {
  if (ids.length === 1) queries(db).deleteOne.run({ id: ids[0] });
  else if (ids.length) db.delete(storageFiles).where(inArray(storageFiles.id, ids)).run();
}

export function setQuarantineStatus(db: Db, id: number, status: string, validated: boolean): void {
  queries(db).setStatus.run({ id, status, validated });
}

/** Records one sweep run (PERF-4.5). */
export function recordSweep(db: Db, row: Omit<SweepRow, 'id'>): void {
  db.insert(storageSweeps).values(row).run();
}

/** The most recent sweeps, newest first. */
export function recentSweeps(db: Db, limit = 10): SweepRow[] {
  return db.select().from(storageSweeps).orderBy(desc(storageSweeps.id)).limit(limit).all();
}
