/**
 * The embedded backend's upkeep of what it derives from `memory_items`: the caller index
 * (`memory_terms`) and the term counts that search ranking reads (`memory_ranks`). The backend
 * writes both with every row it stores; rows it did not write (an older database, rows inserted by
 * hand) are caught up when a backend is created, and the index's segments are merged in the
 * background.
 */
import { randomUUID } from 'node:crypto';
import { type Db, transaction } from '../../src/db/index.ts';
import { acquireLease, releaseLease } from '../../src/db/leases.ts';
import { keyedTerms } from './fts-query.ts';
import { type TermStats, termStats } from './rank.ts';

/** A row whose terms or counts are still to be written. */
export interface UncountedRow {
  id: number;
  userId: string;
  createdAt: number;
  text: string;
}

/** A row's ranking data (`termStats`): user id, id, created at, word count, term counts. */
export const INSERT_RANK =
  'INSERT OR REPLACE INTO memory_ranks (user_id, id, created_at, word_count, term_counts) VALUES (?, ?, ?, ?, ?)';

/** Rows indexed per transaction while catching up, so writers of other processes are not held long. */
const INDEX_BATCH = 2000;

/**
 * Writes a row's `memory_ranks` row and its word count, in the caller's transaction; returns the
 * row's term stats.
 */
function rowCounter(db: Db): (row: UncountedRow) => TermStats {
  const client = db.$client;
  const rank = client.prepare(INSERT_RANK);
  const counted = client.prepare('UPDATE memory_items SET word_count = ? WHERE id = ?');
  return (row) => {
    const stats = termStats(row.text);
    rank.run(row.userId, row.id, row.createdAt, stats.words, stats.counts);
    counted.run(stats.words, row.id);
    return stats;
  };
}

/**
 * Writes a row's index terms, its `memory_ranks` row and its word count, in the caller's
 * transaction; the row must have no terms in `memory_terms` (none yet, or deleted just before).
 */
export function rowIndexer(db: Db): (row: UncountedRow) => void {
  const insertTerms = db.$client.prepare('INSERT INTO memory_terms (rowid, terms) VALUES (?, ?)');
  const count = rowCounter(db);
  return (row) => {
    insertTerms.run(row.id, keyedTerms(row.userId, count(row).terms));
  };
}

/**
 * Indexes and counts every row `memory_terms` does not hold yet: after the migration that created it
 * (the rows of the old index), rows inserted by hand, rows changed by hand (a trigger takes their
 * terms out and moves the mark back). `memory_terms_state.indexed_through` says up to which id that
 * is done (storing moves it past the stored rows when nothing lies below them), so a start without
 * new rows costs two reads and no write lock; each batch of INDEX_BATCH ids commits its progress.
 */
export function indexUnindexed(db: Db, maxBatches = Number.POSITIVE_INFINITY): number {
  const client = db.$client;
  const through = () =>
    (
      client.prepare('SELECT indexed_through AS n FROM memory_terms_state WHERE id = 1').get() as {
        n: number;
      }
    ).n;
  const top = (client.prepare('SELECT coalesce(max(id), 0) AS n FROM memory_items').get() as { n: number }).n;
  const pending = client.prepare(
    `SELECT id, user_id AS userId, created_at AS createdAt, text FROM memory_items m
      WHERE id > ? AND id <= ? AND NOT EXISTS (SELECT 1 FROM memory_terms_docsize d WHERE d.id = m.id)`,
  );
  const index = rowIndexer(db);
  const advance = client.prepare('UPDATE memory_terms_state SET indexed_through = ? WHERE id = 1');
  let indexed = 0;
  for (let batch = 0; batch < maxBatches && through() < top; batch++) {
    transaction(db, () => {
      const from = through();
      const to = Math.min(top, from + INDEX_BATCH);
      const rows = pending.all(from, to) as unknown as UncountedRow[];
      for (const row of rows) index(row);
      advance.run(to);
      indexed += rows.length;
    });
  }
  return indexed;
}

/**
 * Drops the caller index and every row's counts and makes them again from `memory_items`, merged:
 * for rows restored or replaced by hand under ids the index already held (an `INSERT OR REPLACE`
 * fires no delete trigger), which the rounds cannot tell from rows they indexed. `elaoms reindex`
 * runs it; searches made meanwhile by a running service find only what is indexed again so far.
 * Returns the rows indexed.
 */
export function rebuildIndex(db: Db): number {
  const client = db.$client;
  transaction(db, () => {
    client.exec("INSERT INTO memory_terms (memory_terms) VALUES ('delete-all')");
    client.exec('DELETE FROM memory_ranks');
    client.exec('UPDATE memory_items SET word_count = NULL WHERE word_count IS NOT NULL');
    client.exec('UPDATE memory_terms_state SET indexed_through = 0 WHERE id = 1');
  });
  const indexed = indexUnindexed(db);
  mergeIndex(db, Number.POSITIVE_INFINITY);
  return indexed;
}

/**
 * What the upkeep has still to do, cheaply enough for every scrape:
 * - `aboveMark`: ids the rounds have still to walk (the newest id minus the index's mark), an upper
 *   bound on the rows a search does not find yet. Counting those rows exactly would read every row
 *   above the mark, after a bulk change by hand most of the table.
 * - `uncounted`: rows ranked from their text until counted, from the partial index of such rows.
 */
export function upkeepBacklog(db: Db): { aboveMark: number; uncounted: number } {
  const client = db.$client;
  const { n: aboveMark } = client
    .prepare(
      `SELECT max(0, coalesce((SELECT max(id) FROM memory_items), 0)
                     - (SELECT indexed_through FROM memory_terms_state WHERE id = 1)) AS n`,
    )
    .get() as { n: number };
  const { n: uncounted } = client
    .prepare('SELECT count(*) AS n FROM memory_items WHERE word_count IS NULL')
    .get() as { n: number };
  return { aboveMark, uncounted };
}

/** Pages one merge step may write (about 2 MB); each step is its own short write transaction. */
const MERGE_PAGES = 500;

/**
 * Merges the index's segments: every transaction that stores rows adds one, and every term of a
 * query probes each of them (a search on an unmerged index of 2,000 conversations took 40 µs of
 * FTS5 instead of 11). Runs merge steps until one finds nothing to merge or `maxSteps` ran; returns
 * the steps that merged something. FTS5 tells a no-op by `total_changes()` moving by less than 2.
 */
export function mergeIndex(db: Db, maxSteps = 50): number {
  const client = db.$client;
  const changes = client.prepare('SELECT total_changes() AS n');
  const merge = client.prepare(
    `INSERT INTO memory_terms (memory_terms, rank) VALUES ('merge', ${MERGE_PAGES})`,
  );
  let merged = 0;
  while (merged < maxSteps) {
    const before = (changes.get() as { n: number }).n;
    merge.run();
    if ((changes.get() as { n: number }).n - before < 2) break;
    merged++;
  }
  return merged;
}

/**
 * Counts up to `maxRows` rows not counted yet (rows of an older database, rows inserted by hand),
 * oldest first, through the partial index of rows whose `word_count` is null: writes their
 * `memory_ranks` row and their word count, in one transaction; returns how many. Until then ranking
 * counts such a row from its text, with the same result. Nothing to count takes no write lock.
 */
export function countUncounted(db: Db, maxRows: number): number {
  const client = db.$client;
  const pending = client.prepare(
    `SELECT id, user_id AS userId, created_at AS createdAt, text FROM memory_items
      WHERE word_count IS NULL ORDER BY id LIMIT ?`,
  );
  if (!client.prepare('SELECT 1 FROM memory_items WHERE word_count IS NULL LIMIT 1').get()) return 0;
  const count = rowCounter(db);
  return transaction(db, () => {
    const rows = pending.all(maxRows) as unknown as UncountedRow[];
    for (const row of rows) count(row);
    return rows.length;
  });
}

/** Rows counted at creation (about 35 ms), then per background round (about 8 ms). */
export const COUNT_AT_START = 1000;
export const COUNT_PER_ROUND = 250;

/** Failed rounds in a row after which the catch-up gives up until the next start (closed database). */
const COUNT_FAILURES_MAX = 20;

/** The lease that lets one process at a time catch up (WORKERS=N share the file and its write lock). */
const CATCH_UP_LEASE = 'memory.term-counts';
const CATCH_UP_LEASE_MS = 5_000;

/**
 * Counts the rows without counts: up to COUNT_AT_START now, the rest COUNT_PER_ROUND at a time
 * every `intervalMs` on the event loop, so a start after the upgrade that added the counts does not
 * wait for every stored memory (about 30,000 a second). With several processes on the database,
 * the one holding the core's lease `memory.term-counts` does the rounds (each holds the write lock
 * for a few ms). Returns the function that stops it.
 */
export function catchUpCounts(db: Db, intervalMs: number, now: () => number): () => void {
  if (countUncounted(db, COUNT_AT_START) < COUNT_AT_START) return () => {};
  const holder = randomUUID();
  // The core's leases table; a database with only the memory plugin's tables (tests) has none.
  const shared = db.$client.prepare("SELECT 1 FROM sqlite_master WHERE name = 'elaoms_leases'").get();
  let failures = 0;
  const timer = setInterval(() => {
    try {
      if (shared && !acquireLease(db, CATCH_UP_LEASE, holder, now(), CATCH_UP_LEASE_MS)) return;
      if (countUncounted(db, COUNT_PER_ROUND) < COUNT_PER_ROUND) stop();
      failures = 0;
    } catch {
      // Busy: the next round tries again. Closed: it stops after a few rounds.
      if (++failures >= COUNT_FAILURES_MAX) stop();
    }
  }, intervalMs);
  (timer as { unref?: () => void }).unref?.();
  function stop() {
    clearInterval(timer);
    try {
      if (shared) releaseLease(db, CATCH_UP_LEASE, holder);
    } catch {
      // Closed: the lease expires by itself.
    }
  }
  return stop;
}
