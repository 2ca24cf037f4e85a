/**
 * The embedded backend: our own SQLite. Each conversation becomes rows of `memory_items` (summary,
 * facts, transcript chunks), unique on (user, conversation, kind, seq), so a repeated delivery inserts
 * nothing. The FTS5 table `memory_terms` indexes each row under its caller's key, which the backend
 * writes itself (`indexRows`); a search reads only the caller's doclists (the caller's newest
 * `SEARCH_CANDIDATES` matches) and ranks them in JS by BM25 over the caller's own rows and by recency.
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Clock } from '../../src/clock.ts';
import { type Db, transaction } from '../../src/db/index.ts';
import { clampLimit, conversationPieces } from './chunks.ts';
import { callerTerms, matchOf, queryTerms } from './fts-query.ts';
import { bm25Scores } from './rank.ts';
import { memoryItems, memoryUserSummaries } from './schema.ts';
import type { ConversationRecord, MemoryBackend, MemoryItem, Scope, UserSummary } from './types.ts';

export interface EmbeddedOptions {
  db: Db;
  clock: Clock;
  /** Longest text of one row; longer summaries and turns are split. Default 1000. */
  chunkChars?: number;
  searchLimitDefault?: number;
  searchLimitMax?: number;
  /** A memory this old counts 3/4 of a new one of equal text relevance; very old ones count 1/2. */
  recencyHalfLifeDays?: number;
  /** How often the index's segments are merged in the background. Default 5 s. */
  mergeIntervalMs?: number;
}

/**
 * Background merging runs on the event loop (node:sqlite is synchronous): a few short steps often,
 * so no request waits behind a long one (a step writes at most MERGE_PAGES pages, 20–25 ms).
 */
const MERGE_INTERVAL_MS = 5_000;
const MERGE_STEPS_PER_ROUND = 2;

const DAY_MS = 86_400_000;

/**
 * Most matches of one caller that a search ranks: the newest (by row id, i.e. most recently stored).
 * A caller with more matching memories than this is ranked among the newest ones only.
 */
export const SEARCH_CANDIDATES = 500;

interface Hit {
  id: number;
  text: string;
  kind: string;
  conversationId: string;
  agentId: string | null;
  metadataJson: string;
  createdAt: number;
}

function toItem(row: Hit, score?: number): MemoryItem {
  let extra: Record<string, unknown> = {};
  try {
    extra = JSON.parse(row.metadataJson) as Record<string, unknown>;
  } catch {
    extra = {};
  }
  return {
    id: String(row.id),
    text: row.text,
    createdAt: new Date(row.createdAt).toISOString(),
    ...(score === undefined ? {} : { score }),
    metadata: {
      ...extra,
      kind: row.kind,
      conversation_id: row.conversationId,
      ...(row.agentId ? { agent_id: row.agentId } : {}),
    },
  };
}

function endedAtMs(endedAt: string, fallback: number): number {
  const ms = Date.parse(endedAt);
  return Number.isNaN(ms) ? fallback : ms;
}

/** Builds the embedded backend on a database that has the memory migrations applied. */
export function createEmbeddedBackend(options: EmbeddedOptions): MemoryBackend {
  const { db, clock } = options;
  const chunkChars = options.chunkChars ?? 1000;
  const limitDefault = options.searchLimitDefault ?? 5;
  const limitMax = options.searchLimitMax ?? 20;
  const halfLifeMs = (options.recencyHalfLifeDays ?? 30) * DAY_MS;
  const client = db.$client;
  // ORDER BY rowid DESC is the index's own order, so FTS5 stops after the newest SEARCH_CANDIDATES
  // matches; it walks the doclists backwards, slower, so a caller with fewer rows than that skips it.
  const candidatesSql = `SELECT m.id AS id, m.text AS text, m.kind AS kind, m.conversation_id AS conversationId,
            m.agent_id AS agentId, m.metadata_json AS metadataJson, m.created_at AS createdAt
       FROM memory_terms JOIN memory_items m ON m.id = memory_terms.rowid
      WHERE memory_terms MATCH ? AND m.user_id = ?`;
  const allMatches = client.prepare(candidatesSql);
  const newestMatches = client.prepare(
    `${candidatesSql} ORDER BY memory_terms.rowid DESC LIMIT ${SEARCH_CANDIDATES}`,
  );
  const countStatement = client.prepare('SELECT count(*) AS n FROM memory_items WHERE user_id = ?');
  const insertTerms = client.prepare('INSERT INTO memory_terms (rowid, terms) VALUES (?, ?)');

  /** Writes rows into `memory_terms`; inside the transaction that inserted them. */
  function indexRows(rows: readonly { id: number; userId: string; text: string }[]) {
    for (const row of rows) insertTerms.run(row.id, callerTerms(row.userId, row.text));
  }
  if (indexUnindexed(db, indexRows) > 0) mergeIndex(db, Number.POSITIVE_INFINITY);
  const merging = setInterval(() => {
    try {
      mergeIndex(db, MERGE_STEPS_PER_ROUND);
    } catch {
      // Busy or closed: the next round merges.
    }
  }, options.mergeIntervalMs ?? MERGE_INTERVAL_MS);
  (merging as { unref?: () => void }).unref?.();

  // Built once: Drizzle's query builder costs more than the query itself on these per-call paths.
  const recentQuery = db
    .select()
    .from(memoryItems)
    .where(eq(memoryItems.userId, sql.placeholder('userId')))
    .orderBy(desc(memoryItems.createdAt), desc(memoryItems.id))
    .limit(sql.placeholder('limit'))
    .prepare();
  const summaryQuery = db
    .select()
    .from(memoryUserSummaries)
    .where(eq(memoryUserSummaries.userId, sql.placeholder('userId')))
    .prepare();
  const conversationIdsQuery = db
    .select({ id: memoryItems.id })
    .from(memoryItems)
    .where(
      and(
        eq(memoryItems.userId, sql.placeholder('userId')),
        eq(memoryItems.conversationId, sql.placeholder('conversationId')),
      ),
    )
    .orderBy(memoryItems.id)
    .prepare();
  const countQuery = db
    .select({ n: sql<number>`count(*)` })
    .from(memoryItems)
    .where(eq(memoryItems.userId, sql.placeholder('userId')))
    .prepare();

  function recencyWeight(createdAt: number): number {
    const age = Math.max(0, clock.now() - createdAt);
    return 0.5 + 0.5 * 2 ** (-age / halfLifeMs);
  }

  const backend: MemoryBackend = {
    name: 'embedded',
    caps: { nativeSummary: false, semantic: false, metadataInSearch: true },

    async health() {
      const started = performance.now();
      try {
        client.prepare('SELECT 1 FROM memory_items LIMIT 1').get();
        return { ok: true, latencyMs: performance.now() - started };
      } catch (error) {
        return { ok: false, detail: (error as Error).message };
      }
    },

    async storeConversation(scope: Scope, conversation: ConversationRecord) {
      const createdAt = endedAtMs(conversation.endedAt, clock.now());
      const metadataJson = JSON.stringify(conversation.metadata ?? {});
      const rows = conversationPieces(conversation, chunkChars).map((piece) => ({
        userId: scope.userId,
        agentId: scope.agentId ?? null,
        conversationId: conversation.conversationId,
        kind: piece.kind,
        seq: piece.seq,
        text: piece.text,
        metadataJson,
        createdAt,
      }));
      if (rows.length === 0) return { ids: [] };
      const ids = transaction(db, () => {
        const inserted = db
          .insert(memoryItems)
          .values(rows)
          .onConflictDoNothing()
          .returning({ id: memoryItems.id, userId: memoryItems.userId, text: memoryItems.text })
          .all();
        indexRows(inserted);
        return conversationIdsQuery.all({
          userId: scope.userId,
          conversationId: conversation.conversationId,
        });
      });
      return { ids: ids.map((r) => String(r.id)) };
    },

    async search(scope: Scope, query: string, opts?: { limit?: number }) {
      const limit = clampLimit(opts?.limit, limitDefault, limitMax);
      const terms = queryTerms(query);
      const match = matchOf(scope.userId, terms);
      if (!match) return [];
      const total = (countStatement.get(scope.userId) as { n: number }).n;
      const candidates = total > SEARCH_CANDIDATES ? newestMatches : allMatches;
      const hits = candidates.all(match, scope.userId) as unknown as Hit[];
      if (hits.length === 0) return [];
      const relevance = bm25Scores(terms, hits, total);
      return hits
        .map((hit, i) => ({ hit, score: relevance[i]! * recencyWeight(hit.createdAt) }))
        .sort((a, b) => b.score - a.score || b.hit.createdAt - a.hit.createdAt || b.hit.id - a.hit.id)
        .slice(0, limit)
        .map(({ hit, score }) => toItem(hit, score));
    },

    async listRecent(scope: Scope, opts?: { limit?: number }) {
      const limit = clampLimit(opts?.limit, limitDefault, limitMax);
      const rows = recentQuery.all({ userId: scope.userId, limit });
      return rows.map((row) => toItem(row));
    },

    async getUserSummary(scope: Scope): Promise<UserSummary | null> {
      const row = summaryQuery.get({ userId: scope.userId });
      const count = countQuery.get({ userId: scope.userId });
      const memoryCount = Number(count?.n ?? 0);
      if (row) {
        return {
          text: row.text,
          source: 'derived',
          updatedAt: new Date(row.updatedAt).toISOString(),
          memoryCount,
        };
      }
      if (memoryCount === 0) return null;
      return derivedFromItems(backend, scope, memoryCount);
    },

    async putUserSummary(scope: Scope, text: string) {
      const updatedAt = clock.now();
      db.insert(memoryUserSummaries)
        .values({ userId: scope.userId, text, updatedAt })
        .onConflictDoUpdate({ target: memoryUserSummaries.userId, set: { text, updatedAt } })
        .run();
    },

    async close() {
      clearInterval(merging);
    },

    async deleteUser(scope: Scope) {
      const deleted = transaction(db, () => {
        const items = db.delete(memoryItems).where(eq(memoryItems.userId, scope.userId)).run();
        const summaries = db
          .delete(memoryUserSummaries)
          .where(eq(memoryUserSummaries.userId, scope.userId))
          .run();
        return Number(items.changes) + Number(summaries.changes);
      });
      return { deleted };
    },
  };
  return backend;
}

/** Rows indexed per transaction while catching up, so writers of other processes are not held long. */
const INDEX_BATCH = 2000;

/**
 * Indexes every row `memory_terms` does not hold yet: after the migration that created it (the rows
 * of the old index), and rows inserted by hand. `memory_terms_state.indexed_through` says up to which
 * id that is done, so a start without new rows costs one query; each batch commits its progress.
 */
function indexUnindexed(
  db: Db,
  indexRows: (rows: { id: number; userId: string; text: string }[]) => void,
): number {
  const client = db.$client;
  const through = () =>
    (
      client.prepare('SELECT indexed_through AS n FROM memory_terms_state WHERE id = 1').get() as {
        n: number;
      }
    ).n;
  const top = (client.prepare('SELECT coalesce(max(id), 0) AS n FROM memory_items').get() as { n: number }).n;
  const pending = client.prepare(
    `SELECT id, user_id AS userId, text FROM memory_items m
      WHERE id > ? AND id <= ? AND NOT EXISTS (SELECT 1 FROM memory_terms_docsize d WHERE d.id = m.id)`,
  );
  const advance = client.prepare('UPDATE memory_terms_state SET indexed_through = ? WHERE id = 1');
  let indexed = 0;
  while (through() < top) {
    transaction(db, () => {
      const from = through();
      const to = Math.min(top, from + INDEX_BATCH);
      const rows = pending.all(from, to) as unknown as { id: number; userId: string; text: string }[];
      indexRows(rows);
      advance.run(to);
      indexed += rows.length;
    });
  }
  return indexed;
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
 * A summary when none was written: the newest conversation summaries (or, failing those, the newest
 * texts), joined. Shared by every backend without a usable native summary.
 */
export async function derivedFromItems(
  backend: Pick<MemoryBackend, 'listRecent'>,
  scope: Scope,
  memoryCount?: number,
): Promise<UserSummary | null> {
  const recent = await backend.listRecent(scope, { limit: 20 });
  if (recent.length === 0) return null;
  const summaries = recent.filter((item) => item.metadata?.kind === 'summary');
  const chosen = (summaries.length ? summaries : recent).slice(0, 3);
  return {
    text: chosen.map((item) => item.text).join(' '),
    source: 'derived',
    updatedAt: recent[0]?.createdAt,
    memoryCount: memoryCount ?? recent.length,
  };
}
