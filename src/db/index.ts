/**
 * SQLite through Drizzle on `node:sqlite`, the one driver that behaves the same on Bun and Deno.
 * WAL mode, a busy timeout for several workers, migrations recorded in tables of our own name.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { drizzle, type NodeSQLiteDatabase } from 'drizzle-orm/node-sqlite';
import { migrate } from 'drizzle-orm/node-sqlite/migrator';
import { openSqlite } from '../runtime.ts';

export type Db = NodeSQLiteDatabase & { $client: DatabaseSync };

export interface DatabaseOptions {
  path: string;
  synchronous?: 'normal' | 'full';
  busyTimeoutMs?: number;
  /** SQLite's `wal_autocheckpoint`; default 10,000 pages (about 40 MB of WAL). */
  walAutocheckpointPages?: number;
}

/** A WAL grown past this is truncated back to it after a checkpoint. */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/** Opens (and creates) the database file with the pragmas elaoms relies on. */
export function openDatabase(options: DatabaseOptions): Db {
  if (options.path !== ':memory:') {
    mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
    // The file holds transcripts: created owner-only here, since SQLite would create it with the
    // umask's mode (often 0644). SQLite gives the -wal and -shm files the database file's mode.
    closeSync(openSync(options.path, 'a', 0o600));
    // A file from before (or copied in) that others may read is made owner-only too.
    for (const file of [options.path, `${options.path}-wal`, `${options.path}-shm`]) {
      try {
        if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
      } catch {
        // Not ours to change (another owner on a shared volume): SQLite may still open it.
      }
    }
  }
  const client = openSqlite(options.path);
  client.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
  if (options.path !== ':memory:') client.exec('PRAGMA journal_mode = WAL');
  // SQLite's default checkpoints every 1,000 pages, which a few post-calls write: each checkpoint
  // copies and fsyncs pages that the next post-calls rewrite anyway. 10,000 pages measured about
  // 10 % more post-calls per second (docs/performance.md).
  const autocheckpoint = Math.max(0, Math.trunc(options.walAutocheckpointPages ?? 10_000));
  client.exec(`PRAGMA wal_autocheckpoint = ${autocheckpoint}`);
  client.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  client.exec(`PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  client.exec('PRAGMA foreign_keys = ON');
  // Erased transcripts are zeroed on the pages that are written anyway (no extra I/O), instead of
  // lingering in the file's free space until reused.
  client.exec('PRAGMA secure_delete = FAST');
  cacheStatements(client);
  return drizzle({ client }) as Db;
}

const STATEMENT_CACHE_SIZE = 256;

/**
 * Drizzle's node-sqlite session prepares every query anew; preparing was 7 % of a client-data
 * request in the benchmark's profile. Prepared statements are reusable on a synchronous driver, so
 * the client keeps the most recent ones by SQL text.
 */
function cacheStatements(client: DatabaseSync): void {
  const prepare = client.prepare.bind(client);
  const cache = new Map<string, ReturnType<DatabaseSync['prepare']>>();
  client.prepare = ((sqlText: string) => {
    let statement = cache.get(sqlText);
    if (statement) {
      cache.delete(sqlText);
      // Drizzle sets the row shape on every call; a direct caller expects the default back.
      statement.setReturnArrays(false);
    } else {
      statement = prepare(sqlText);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    cache.set(sqlText, statement);
    return statement;
  }) as DatabaseSync['prepare'];
}

/**
 * Queries prepared once per database. Drizzle builds a query's SQL on every call (about 10 µs,
 * more than running it); a prepared query (`sql.placeholder()` for the values, then `.prepare()`)
 * builds it once and only binds values after. `build` runs at the first use for a database (its
 * tables exist by then), and the queries it returns are kept for that database.
 */
export function preparedQueries<T>(build: (db: Db) => T): (db: Db) => T {
  const byDb = new WeakMap<Db, T>();
  return (db) => {
    let queries = byDb.get(db);
    if (!queries) {
      queries = build(db);
      byDb.set(db, queries);
    }
    return queries;
  };
}

/** Applies the migrations in `folder`, recorded in `table`. Running it again changes nothing. */
export function applyMigrations(db: Db, folder: string, table: string): void {
  const failed = migrate(db, { migrationsFolder: folder, migrationsTable: table });
  if (failed) throw new Error(`migrations in ${folder} failed: ${failed.exitCode}`);
}

/**
 * Runs `work` in one transaction: it commits when `work` returns and rolls back when it throws.
 * `work` must be synchronous. On a synchronous driver an async callback would commit even when it
 * throws, so a returned promise is refused (and rolled back).
 */
export function transaction<T>(db: Db, work: () => T): T {
  const client = db.$client;
  client.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    if (result && typeof (result as any).then === 'function') {
      throw new TypeError(
        'transaction(): the callback must be synchronous; an async one would commit on error',
      );
    }
    client.exec('COMMIT');
    return result;
  } catch (error) {
    client.exec('ROLLBACK');
    throw error;
  }
}

const snapshotStatements = new WeakMap<
  DatabaseSync,
  { begin: ReturnType<DatabaseSync['prepare']>; commit: ReturnType<DatabaseSync['prepare']> }
>();

/**
 * Runs the synchronous reads of `work` in one read transaction: one snapshot, and one round of
 * WAL read locks instead of one per statement (a lone statement on a WAL database takes its locks
 * and releases them: 5.6 µs against 0.4 µs inside a transaction, for a one-row lookup). Inside a
 * transaction already, `work` just runs in it.
 */
export function readSnapshot<T>(db: Db, work: () => T): T {
  const client = db.$client;
  if (client.isTransaction) return work();
  let statements = snapshotStatements.get(client);
  if (!statements) {
    statements = { begin: client.prepare('BEGIN'), commit: client.prepare('COMMIT') };
    snapshotStatements.set(client, statements);
  }
  statements.begin.run();
  try {
    return work();
  } finally {
    if (client.isTransaction) statements.commit.run();
  }
}

export function closeDatabase(db: Db): void {
  try {
    db.$client.close();
  } catch {
    // already closed
  }
}
