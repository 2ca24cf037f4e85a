/**
 * `memory_ranks` holds what search ranking reads of each row (its term counts, word count and time),
 * stored in (caller, id) order so that one caller's rows lie together. These tests check that it
 * follows `memory_items` (stores, erasure, deletes by hand), that a search never ranks another
 * caller's row through it, and that the migration that made it carries the counts over.
 */
import { describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { createEmbeddedBackend, SEARCH_CANDIDATES } from '../../plugins/memory/embedded.ts';
import { callerKey, callerTerms } from '../../plugins/memory/fts-query.ts';
import { termStats } from '../../plugins/memory/rank.ts';
import { manualClock } from '../../src/clock.ts';
import { applyMigrations, closeDatabase, type Db, openDatabase } from '../../src/db/index.ts';
import { databaseBefore } from '../helpers/migrations.ts';
import { waitUntil } from '../helpers/wait.ts';
import {
  conversation,
  countOf,
  itemRows as items,
  MEMORY_MIGRATIONS,
  memoryDb,
  rankRows as ranks,
} from './helpers.ts';

const TABLE = '__elaoms_migrations_memory';
const NOW = Date.parse('2026-06-01T00:00:00Z');

describe('memory_ranks', () => {
  it('holds one row per stored memory, with its counts, and is stored by caller', async () => {
    const db = memoryDb();
    const backend = createEmbeddedBackend({ db, clock: manualClock(NOW) });
    for (const [i, caller] of ['+2', '+1', '+2', '+1'].entries()) {
      await backend.storeConversation(
        { userId: caller },
        conversation(`c${i}`, `parrot number ${i} talks`, { endedAt: new Date(NOW - i).toISOString() }),
      );
    }
    const stored = items(db);
    expect(ranks(db)).toEqual(
      stored.map((row) => {
        const stats = termStats(row.text);
        return {
          userId: row.userId,
          id: row.id,
          createdAt: row.createdAt,
          wordCount: stats.words,
          termCounts: stats.counts,
        };
      }),
    );
    for (const row of stored) expect(row.wordCount).toBe(termStats(row.text).words);
    // WITHOUT ROWID: a full scan visits the rows in primary key order, one caller's after another.
    const scanned = db.$client.prepare('SELECT user_id AS userId FROM memory_ranks').all() as {
      userId: string;
    }[];
    expect(scanned.map((row) => row.userId)).toEqual([...scanned.map((row) => row.userId)].sort());
    expect(new Set(scanned.map((row) => row.userId)).size).toBe(2);
    closeDatabase(db);
  });

  it('loses a row with its memory: erasure and deletes by hand', async () => {
    const db = memoryDb();
    const backend = createEmbeddedBackend({ db, clock: manualClock(NOW) });
    await backend.storeConversation(
      { userId: '+1' },
      conversation('c1', 'parrot talks', { facts: ['A parrot'] }),
    );
    await backend.storeConversation(
      { userId: '+2' },
      conversation('c2', 'budgie sings', { facts: ['A budgie'] }),
    );
    await backend.storeConversation({ userId: '+2' }, conversation('c3', 'canary whistles'));
    await backend.deleteUser({ userId: '+1' });
    expect(ranks(db).map((row) => row.userId)).not.toContain('+1');
    db.$client.exec("DELETE FROM memory_items WHERE conversation_id = 'c3'");
    expect(ranks(db).map((row) => row.id)).toEqual(items(db).map((row) => row.id));
    expect(ranks(db).length).toBeGreaterThan(0);
    closeDatabase(db);
  });

  it('ranks only the newest matches of a caller who has more than SEARCH_CANDIDATES', async () => {
    const db = memoryDb();
    const backend = createEmbeddedBackend({ db, clock: manualClock(NOW) });
    // The oldest conversations say the word most often, so they would rank first if considered.
    for (let i = 0; i < SEARCH_CANDIDATES + 20; i++) {
      const said = i < 20 ? 'parrot parrot parrot parrot' : `parrot number ${i} and many other words`;
      await backend.storeConversation(
        { userId: '+1' },
        conversation(`c${i}`, said, { endedAt: new Date(NOW).toISOString() }),
      );
    }
    const hits = await backend.search({ userId: '+1' }, 'parrot', { limit: 20 });
    expect(hits).toHaveLength(20);
    const numbers = hits.map((hit) => Number(String(hit.metadata?.conversation_id).slice(1)));
    expect(Math.min(...numbers)).toBeGreaterThanOrEqual(20);
    closeDatabase(db);
  });

  it("never ranks another caller's row whose key is the same, counted or not", async () => {
    const db = memoryDb();
    const backend = createEmbeddedBackend({ db, clock: manualClock(NOW) });
    await backend.storeConversation({ userId: '+1' }, conversation('mine', 'my parrot talks'));
    await backend.storeConversation({ userId: '+2' }, conversation('theirs', 'their parrot talks'));
    // Two callers whose keys collide share doclists: file +2's rows under +1's key too.
    const theirs = items(db).filter((row) => row.userId === '+2');
    const insert = db.$client.prepare('INSERT INTO memory_terms (rowid, terms) VALUES (?, ?)');
    db.$client.exec('BEGIN');
    for (const row of theirs) {
      db.$client.prepare('DELETE FROM memory_terms WHERE rowid = ?').run(row.id);
      insert.run(row.id, `${callerKey('+1')}parrot ${callerKey('+2')}parrot`);
    }
    db.$client.exec('COMMIT');
    const conversations = async () =>
      (await backend.search({ userId: '+1' }, 'parrot', { limit: 20 })).map(
        (hit) => hit.metadata?.conversation_id,
      );
    expect(await conversations()).toEqual(['mine']);
    // Not counted yet: ranked from memory_items, which still tells the callers apart.
    db.$client.exec('DELETE FROM memory_ranks');
    db.$client.exec('UPDATE memory_items SET word_count = NULL');
    expect(await conversations()).toEqual(['mine']);
    expect(
      (await backend.search({ userId: '+2' }, 'parrot')).map((hit) => hit.metadata?.conversation_id),
    ).toEqual(['theirs']);
    closeDatabase(db);
  });

  it('is filled from the counts of a database made before it; the rest are counted at start', async () => {
    const { db: old, path, dir } = databaseBefore(MEMORY_MIGRATIONS, 'ranks', TABLE);
    const insert = old.$client.prepare(
      `INSERT INTO memory_items (user_id, conversation_id, kind, seq, text, created_at, term_counts, word_count)
       VALUES (?, ?, 'transcript', 0, ?, ?, ?, ?)`,
    );
    const counted = termStats('parrot parrot talks');
    insert.run('+1', 'counted', 'parrot parrot talks', NOW - 1, counted.counts, counted.words);
    // Counts carried over as they were, not made again: this one is deliberately not the text's.
    insert.run('+2', 'carried', 'budgie sings', NOW - 2, ' parrot:9', 9);
    insert.run('+1', 'uncounted', 'a parrot sleeps', NOW - 3, null, null);
    insert.run('+1', 'half', 'a parrot flies', NOW - 4, null, 3);
    // Indexed, as the backend of that release left every row (one it did not count included).
    const rows = old.$client.prepare('SELECT id, user_id AS userId, text FROM memory_items').all() as {
      id: number;
      userId: string;
      text: string;
    }[];
    for (const row of rows) {
      old.$client
        .prepare('INSERT INTO memory_terms (rowid, terms) VALUES (?, ?)')
        .run(row.id, callerTerms(row.userId, row.text));
    }
    old.$client.exec('UPDATE memory_terms_state SET indexed_through = (SELECT max(id) FROM memory_items)');
    closeDatabase(old);

    const db = openDatabase({ path });
    applyMigrations(db, MEMORY_MIGRATIONS, TABLE);
    const columns = db.$client.prepare("SELECT name FROM pragma_table_info('memory_items')").all() as {
      name: string;
    }[];
    expect(columns.map((column) => column.name)).not.toContain('term_counts');
    expect(
      ranks(db).map(({ userId, createdAt, wordCount, termCounts }) => ({
        userId,
        createdAt,
        wordCount,
        termCounts,
      })),
    ).toEqual([
      { userId: '+1', createdAt: NOW - 1, wordCount: counted.words, termCounts: counted.counts },
      { userId: '+2', createdAt: NOW - 2, wordCount: 9, termCounts: ' parrot:9' },
    ]);
    expect(items(db).map((row) => row.wordCount)).toEqual([counted.words, 9, null, null]);

    const backend = createEmbeddedBackend({ db, clock: manualClock(NOW) });
    expect(items(db).map((row) => row.wordCount)).toEqual([counted.words, 9, 3, 3]);
    expect(ranks(db).slice(2)).toMatchObject([
      { userId: '+1', termCounts: termStats('a parrot sleeps').counts },
      { userId: '+1', termCounts: termStats('a parrot flies').counts },
    ]);
    const hits = await backend.search({ userId: '+1' }, 'parrot', { limit: 5 });
    expect(hits.map((hit) => hit.metadata?.conversation_id)).toEqual(['counted', 'uncounted', 'half']);
    await backend.close?.();
    closeDatabase(db);
    rmSync(dir, { recursive: true, force: true });
  });
});
