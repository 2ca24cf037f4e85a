/**
 * The embedded backend: our own SQLite. Each conversation becomes rows of `memory_items` (summary,
 * facts, transcript chunks), unique on (user, conversation, kind, seq), so a repeated delivery inserts
 * nothing. The FTS5 table `memory_terms` indexes each row under its caller's key, which the backend
 * writes itself (`upkeep.ts` for rows it did not store); a search reads only the caller's doclists
 * (the caller's newest `SEARCH_CANDIDATES` matches) and ranks them in JS by BM25 over the caller's
 * own rows and by recency, from their term counts in `memory_ranks`, where each caller's rows are
 * stored together.
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Clock } from '../../src/clock.ts';
import { type Db, readSnapshot, transaction } from '../../src/db/index.ts';
import { clampLimit, conversationPieces, pieceKey } from './chunks.ts';
import { keyedTerms, matchOf, queryTerms } from './fts-query.ts';
import { leftovers } from './leftovers.ts';
import { bm25Scores, type TermStats, termStats } from './rank.ts';
import { memoryItems, memoryUserSummaries } from './schema.ts';
import type { ConversationRecord, MemoryBackend, MemoryItem, Scope, UserSummary } from './types.ts';
import {
  COUNT_PER_ROUND,
  catchUpCounts,
  countUncounted,
  INSERT_RANK,
  indexUnindexed,
  mergeIndex,
} from './upkeep.ts';

export { mergeIndex } from './upkeep.ts';

export interface EmbeddedOptions {
  db: Db;
  clock: Clock;
  /** Longest text of one row; longer summaries and turns are split. Default 1000. */
  chunkChars?: number;
  searchLimitDefault?: number;
  searchLimitMax?: number;
  /** A memory this old counts 3/4 of a new one of equal text relevance; very old ones count 1/2. */
  recencyHalfLifeDays?: number;
  /**
   * How often the background round runs: it indexes and counts rows inserted or changed by hand
   * since, and merges the index's segments. Default 5 s.
   */
  mergeIntervalMs?: number;
  /** How often rows stored without term counts are counted in the background. Default 50 ms. */
  countIntervalMs?: number;
}

/**
 * Background merging runs on the event loop (node:sqlite is synchronous): a few short steps often,
 * so no request waits behind a long one (a step writes at most MERGE_PAGES pages, 20–25 ms).
 */
const MERGE_INTERVAL_MS = 5_000;
const MERGE_STEPS_PER_ROUND = 2;
/** Rows without counts (after the upgrade that added them) are counted a few hundred at a time. */
const COUNT_INTERVAL_MS = 50;

const DAY_MS = 86_400_000;

/**
 * Most matches of one caller that a search ranks: the newest (by row id, i.e. most recently stored).
 * A caller with more matching memories than this is ranked among the newest ones only.
 */
export const SEARCH_CANDIDATES = 500;

/** A match as ranking reads it: its stored counts, or its text when it has none yet. */
interface Candidate {
  id: number;
  createdAt: number;
  termCounts: string | null;
  wordCount: number | null;
  text?: string;
}

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
  // Ranking reads the caller's `memory_ranks` rows, which lie together, not `memory_items`, where
  // they lie among everyone's. A match without one is a row not counted yet, or another caller's
  // whose key is the same: `uncountedStatement` tells them apart and gives the text to rank.
  const candidatesSql = `SELECT memory_terms.rowid AS id, r.created_at AS createdAt,
            r.term_counts AS termCounts, r.word_count AS wordCount
       FROM memory_terms LEFT JOIN memory_ranks r ON r.user_id = ?2 AND r.id = memory_terms.rowid
      WHERE memory_terms MATCH ?1`;
  const allMatches = client.prepare(candidatesSql);
  const newestMatches = client.prepare(
    `${candidatesSql} ORDER BY memory_terms.rowid DESC LIMIT ${SEARCH_CANDIDATES}`,
  );
  const uncountedStatement = client.prepare(
    'SELECT created_at AS createdAt, text FROM memory_items WHERE id = ? AND user_id = ?',
  );
  const insertRank = client.prepare(INSERT_RANK);
  const left = leftovers(db);
  // Rows this backend stores are indexed at once; when no row stored by others lies below them, the
  // mark moves past them too, so the next start has nothing to walk through (indexUnindexed).
  const advanceIndexed = client.prepare(
    'UPDATE memory_terms_state SET indexed_through = ?1 WHERE id = 1 AND indexed_through >= ?2 - 1 AND indexed_through < ?1',
  );
  const hitStatement = client.prepare(
    `SELECT id, text, kind, conversation_id AS conversationId, agent_id AS agentId,
            metadata_json AS metadataJson, created_at AS createdAt
       FROM memory_items WHERE id = ? AND user_id = ?`,
  );
  const countStatement = client.prepare('SELECT count(*) AS n FROM memory_items WHERE user_id = ?');
  const insertTerms = client.prepare('INSERT INTO memory_terms (rowid, terms) VALUES (?, ?)');

  if (indexUnindexed(db) > 0) mergeIndex(db, Number.POSITIVE_INFINITY);
  const stopCounting = catchUpCounts(db, options.countIntervalMs ?? COUNT_INTERVAL_MS, () => clock.now());
  const merging = setInterval(() => {
    try {
      // Rows inserted or changed by hand since: searchable within a round, not at the next start.
      indexUnindexed(db, 1);
      left.sweep();
      countUncounted(db, COUNT_PER_ROUND);
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

  /** The matches with their counts, or their text when not counted yet; none of another caller. */
  function ranked(found: Candidate[], userId: string): Candidate[] {
    if (found.every((hit) => hit.termCounts !== null)) return found;
    return found.flatMap((hit) => {
      if (hit.termCounts !== null) return [hit];
      const row = uncountedStatement.get(hit.id, userId) as { createdAt: number; text: string } | undefined;
      return row ? [{ ...hit, ...row }] : [];
    });
  }

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
      // By (kind, seq): RETURNING gives the inserted rows only, and its text need not be the one
      // sent (SQLite stores a lone surrogate as U+FFFD; Deno's driver stops a text at a NUL).
      const stats = new Map<string, TermStats>();
      const rows = conversationPieces(conversation, chunkChars).map((piece) => {
        const counted = termStats(piece.text);
        stats.set(pieceKey(piece.kind, piece.seq), counted);
        return {
          userId: scope.userId,
          agentId: scope.agentId ?? null,
          conversationId: conversation.conversationId,
          kind: piece.kind,
          seq: piece.seq,
          text: piece.text,
          metadataJson,
          createdAt,
          wordCount: counted.words,
        };
      });
      if (rows.length === 0) return { ids: [] };
      const ids = transaction(db, () => {
        const inserted = db
          .insert(memoryItems)
          .values(rows)
          .onConflictDoNothing()
          .returning({ id: memoryItems.id, kind: memoryItems.kind, seq: memoryItems.seq })
          .all();
        for (const row of inserted) {
          const counted = stats.get(pieceKey(row.kind, row.seq)) as TermStats;
          insertTerms.run(row.id, keyedTerms(scope.userId, counted.terms));
          insertRank.run(scope.userId, row.id, createdAt, counted.words, counted.counts);
        }
        if (inserted.length > 0) {
          const ids = inserted.map((row) => row.id);
          advanceIndexed.run(Math.max(...ids), Math.min(...ids));
        }
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
      // One snapshot: the count, the matches and the rows returned agree, and take one read lock.
      return readSnapshot(db, () => {
        const total = (countStatement.get(scope.userId) as { n: number }).n;
        const candidates = total > SEARCH_CANDIDATES ? newestMatches : allMatches;
        const found = ranked(candidates.all(match, scope.userId) as unknown as Candidate[], scope.userId);
        if (found.length === 0) return [];
        const relevance = bm25Scores(terms, found, total);
        const ranking = found
          .map((hit, i) => ({ hit, score: relevance[i]! * recencyWeight(hit.createdAt) }))
          .sort((a, b) => b.score - a.score || b.hit.createdAt - a.hit.createdAt || b.hit.id - a.hit.id);
        const items: MemoryItem[] = [];
        for (const { hit, score } of ranking) {
          if (items.length >= limit) break;
          // Still the caller's row: a ranks row a change by hand left behind never shows.
          const row = hitStatement.get(hit.id, scope.userId) as unknown as Hit | undefined;
          if (row) items.push(toItem(row, score));
          else if (hit.termCounts !== null) left.note(hit.id, scope.userId);
        }
        return items;
      });
    },

    async listRecent(scope: Scope, opts?: { limit?: number }) {
      const limit = clampLimit(opts?.limit, limitDefault, limitMax);
      const rows = recentQuery.all({ userId: scope.userId, limit });
      return rows.map((row) => toItem(row));
    },

    async getUserSummary(scope: Scope): Promise<UserSummary | null> {
      const [row, count] = readSnapshot(db, () => [
        summaryQuery.get({ userId: scope.userId }),
        countQuery.get({ userId: scope.userId }),
      ]);
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
      stopCounting();
    },

    async deleteUser(scope: Scope) {
      const deleted = transaction(db, () => {
        // By the caller's ranks rows first: rows replaced by hand left some without their memory.
        left.forgetUser(scope.userId);
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
