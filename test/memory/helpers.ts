/**
 * Shared helpers of the memory tests: a migrated in-memory database, a conversation to store, the
 * embedded backend's rows as SQL reads them.
 */
import { fileURLToPath } from 'node:url';
import type { ConversationRecord } from '../../plugins/memory/types.ts';
import { applyMigrations, type Db, openDatabase } from '../../src/db/index.ts';

export const MEMORY_MIGRATIONS = fileURLToPath(new URL('../../drizzle/memory', import.meta.url));

/** An in-memory SQLite with the memory plugin's tables. */
export function memoryDb(): Db {
  const db = openDatabase({ path: ':memory:' });
  applyMigrations(db, MEMORY_MIGRATIONS, '__elaoms_migrations_memory');
  return db;
}

/** A small conversation; `said` is what the caller said. */
export function conversation(
  id: string,
  said: string,
  options: { endedAt?: string; summary?: string; facts?: string[] } = {},
): ConversationRecord {
  return {
    conversationId: id,
    endedAt: options.endedAt ?? '2026-01-01T10:00:00.000Z',
    transcript: [
      { role: 'agent', text: 'Hello, how can I help?' },
      { role: 'user', text: said },
    ],
    summary: options.summary,
    facts: options.facts,
    metadata: { agent_id: 'agent_1', event_type: 'post_call_transcription' },
  };
}

/** A `count(*) AS n` query's answer. */
export function countOf(db: Db, sqlText: string): number {
  return (db.$client.prepare(sqlText).get() as { n: number }).n;
}

export interface RankRow {
  userId: string;
  id: number;
  createdAt: number;
  wordCount: number;
  termCounts: string;
}

/** `memory_ranks`, by id. */
export function rankRows(db: Db): RankRow[] {
  return db.$client
    .prepare(
      `SELECT user_id AS userId, id, created_at AS createdAt, word_count AS wordCount,
              term_counts AS termCounts FROM memory_ranks ORDER BY id`,
    )
    .all() as unknown as RankRow[];
}

export interface ItemRow {
  id: number;
  userId: string;
  text: string;
  createdAt: number;
  wordCount: number | null;
}

/** `memory_items`, by id, without metadata. */
export function itemRows(db: Db): ItemRow[] {
  return db.$client
    .prepare(
      'SELECT id, user_id AS userId, text, created_at AS createdAt, word_count AS wordCount FROM memory_items ORDER BY id',
    )
    .all() as unknown as ItemRow[];
}
