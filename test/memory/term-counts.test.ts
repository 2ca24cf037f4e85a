/**
 * Search ranking reads each row's stored term counts (`memory_ranks`) instead of cutting its text
 * into words again. The backend writes them with every row it stores, catches up rows without them
 * when it is created (an older database, rows inserted by hand; a large backlog in the background),
 * and ranks a row not counted yet from its text with the same score.
 */
import { describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { createEmbeddedBackend } from '../../plugins/memory/embedded.ts';
import { queryTerms } from '../../plugins/memory/fts-query.ts';
import { bm25Scores, termStats } from '../../plugins/memory/rank.ts';
import { COUNT_AT_START, COUNT_PER_ROUND } from '../../plugins/memory/upkeep.ts';
import { manualClock } from '../../src/clock.ts';
import { CORE_MIGRATIONS } from '../../src/core.ts';
import { applyMigrations, closeDatabase, type Db, openDatabase, transaction } from '../../src/db/index.ts';
import { acquireLease, releaseLease } from '../../src/db/leases.ts';
import { databaseBefore } from '../helpers/migrations.ts';
import { sleep, waitUntil } from '../helpers/wait.ts';
import { conversation, countOf as count, MEMORY_MIGRATIONS, memoryDb } from './helpers.ts';

const TABLE = '__elaoms_migrations_memory';
const NOW = Date.parse('2026-06-01T00:00:00Z');
const INSERT =
  'INSERT INTO memory_items (user_id, conversation_id, kind, seq, text, created_at) VALUES (?, ?, ?, ?, ?, ?)';

interface CountRow {
  text: string;
  termCounts: string | null;
  wordCount: number | null;
}

function countRows(db: Db): CountRow[] {
  return db.$client
    .prepare(
      `SELECT m.text, r.term_counts AS termCounts, r.word_count AS wordCount
         FROM memory_items m LEFT JOIN memory_ranks r ON r.user_id = m.user_id AND r.id = m.id
        ORDER BY m.id`,
    )
    .all() as unknown as CountRow[];
}

/** Rows not counted yet, checked both ways: no word count, and no ranks row. */
function uncounted(db: Db): number {
  const marked = count(db, 'SELECT count(*) AS n FROM memory_items WHERE word_count IS NULL');
  const unranked = count(
    db,
    `SELECT count(*) AS n FROM memory_items m
      WHERE NOT EXISTS (SELECT 1 FROM memory_ranks r WHERE r.user_id = m.user_id AND r.id = m.id)`,
  );
  expect(unranked).toBe(marked);
  return marked;
}

/**
 * The rows indexed but not counted, as the upgrade that added the counts left a database: rows
 * inserted by hand are indexed and counted together, so their counts are taken out again here.
 */
function indexedNotCounted(db: Db): void {
  createEmbeddedBackend({ db, clock: manualClock(NOW) }).close?.();
  db.$client.exec('DELETE FROM memory_ranks');
  db.$client.exec('UPDATE memory_items SET word_count = NULL');
}

describe('stored term counts', () => {
  it('counts each distinct folded, stemmed word of a text, and its words', () => {
    expect(termStats('Parrots, parrot and PARROTING! Café 42')).toEqual({
      terms: ['parrot', 'and', 'cafe', '42'],
      counts: ' parrot:3 and:1 cafe:1 42:1',
      words: 6,
    });
    expect(termStats('…')).toEqual({ terms: [], counts: '', words: 0 });
  });

  it('are written with every row the backend stores', async () => {
    const db = memoryDb();
    const backend = createEmbeddedBackend({ db, clock: manualClock(NOW) });
    await backend.storeConversation(
      { userId: '+1' },
      conversation('c1', 'My dog Rex needs his vaccination, Rex hates vaccinations', {
        summary: 'Rex the dog needs a vaccination',
        facts: ['Rex is a dog'],
      }),
    );
    const rows = countRows(db);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) {
      const stats = termStats(row.text);
      expect(row).toEqual({ text: row.text, termCounts: stats.counts, wordCount: stats.words });
    }
    expect(rows.some((row) => row.termCounts?.includes(' vaccin:2'))).toBe(true);
    closeDatabase(db);
  });

  it('stores texts SQLite or the driver change (cut surrogate pairs, lone surrogates, NULs)', async () => {
    const db = memoryDb();
    const backend = createEmbeddedBackend({ db, clock: manualClock(NOW) });
    // A turn longer than a chunk without a space is cut inside a surrogate pair; SQLite stores a
    // lone surrogate as U+FFFD, so the text RETURNING gives back is not the one sent.
    const stored = await backend.storeConversation(
      { userId: '+1' },
      conversation('c1', `parrot ${'😀'.repeat(3000)}`, { facts: ['parrot \ud83d flies'] }),
    );
    expect(stored.ids.length).toBeGreaterThan(3);
    await backend.storeConversation({ userId: '+1' }, conversation('c2', 'budgie\u0000 sings'));
    const hits = await backend.search({ userId: '+1' }, 'parrot budgie sings flies', { limit: 20 });
    expect(hits.map((hit) => hit.metadata?.conversation_id).sort()).toEqual(['c1', 'c1', 'c2']);
    expect(hits.find((hit) => hit.metadata?.conversation_id === 'c2')?.text).toBe(
      'Agent: Hello, how can I help?\nCaller: budgie sings',
    );
    expect(uncounted(db)).toBe(0);
    closeDatabase(db);
  });

  it('ranks a row not counted yet from its text, with the same scores and order', async () => {
    const db = memoryDb();
    const backend = createEmbeddedBackend({ db, clock: manualClock(NOW) });
    const said = [
      'The vet said Biscuit is fine, Biscuit sees the vet again in May',
      'I walked to the park and saw the vet sign',
      'Biscuit needs new food, the vet recommended a brand',
      'Nothing about that today',
    ];
    for (const [i, text] of said.entries()) {
      await backend.storeConversation(
        { userId: '+1' },
        conversation(`c${i}`, text, { endedAt: new Date(NOW - i * 86_400_000).toISOString() }),
      );
    }
    const counted = await backend.search({ userId: '+1' }, 'When does Biscuit see the vet?', { limit: 10 });
    expect(counted.length).toBeGreaterThanOrEqual(3);

    db.$client.exec(`DELETE FROM memory_ranks WHERE id IN
      (SELECT id FROM memory_items WHERE conversation_id IN ('c0', 'c2'))`);
    db.$client.exec("UPDATE memory_items SET word_count = NULL WHERE conversation_id IN ('c0', 'c2')");
    expect(uncounted(db)).toBeGreaterThan(0);
    const fromText = await backend.search({ userId: '+1' }, 'When does Biscuit see the vet?', { limit: 10 });
    expect(fromText).toEqual(counted);
    closeDatabase(db);
  });

  it('scores a document the same from its counts as from its text', () => {
    const texts = [
      'Running runs RUN ran; the runner ran',
      'Ünïcode café naïve résumé cafe',
      'booking booked bookings book 2026 2026',
      '',
    ];
    const query = queryTerms('run cafe booking 2026 naive');
    const fromText = bm25Scores(
      query,
      texts.map((text) => ({ text })),
      10,
    );
    const fromCounts = bm25Scores(
      query,
      texts.map((text) => {
        const stats = termStats(text);
        return { termCounts: stats.counts, wordCount: stats.words };
      }),
      10,
    );
    expect(fromCounts).toEqual(fromText);
    expect(fromText.filter((score) => score > 0)).toHaveLength(3);
  });

  it('counts a large backlog in the background, searching it meanwhile with the same results', async () => {
    const db = memoryDb();
    const insert = db.$client.prepare(INSERT);
    const rows = COUNT_AT_START + 3 * COUNT_PER_ROUND + 7;
    transaction(db, () => {
      for (let i = 0; i < rows; i++)
        insert.run(`+1${i % 4}`, `c${i}`, 'transcript', 0, `parrot ${i} talks`, NOW - i);
    });
    indexedNotCounted(db);
    const backend = createEmbeddedBackend({ db, clock: manualClock(NOW), countIntervalMs: 5 });
    // The creation counted the first rows only; a search ranks the rest from their text.
    expect(uncounted(db)).toBe(rows - COUNT_AT_START);
    const before = await backend.search({ userId: '+13' }, 'parrots talking', { limit: 10 });
    expect(before).toHaveLength(10);
    await waitUntil(() => uncounted(db) === 0);
    expect(uncounted(db)).toBe(0);
    expect(await backend.search({ userId: '+13' }, 'parrots talking', { limit: 10 })).toEqual(before);
    await backend.close?.();
    closeDatabase(db);
  });

  it('leaves the background counting to the process holding its lease', async () => {
    const db = memoryDb();
    applyMigrations(db, CORE_MIGRATIONS, '__elaoms_migrations_core');
    const insert = db.$client.prepare(INSERT);
    const rows = COUNT_AT_START + 2 * COUNT_PER_ROUND;
    transaction(db, () => {
      for (let i = 0; i < rows; i++) insert.run('+1', `c${i}`, 'transcript', 0, `parrot ${i}`, NOW);
    });
    indexedNotCounted(db);
    // Another process is catching up (it holds the lease): this one counts its first rows only.
    expect(acquireLease(db, 'memory.term-counts', 'other-process', NOW, 60_000)).toBe(true);
    const backend = createEmbeddedBackend({ db, clock: manualClock(NOW), countIntervalMs: 5 });
    await sleep(100);
    expect(uncounted(db)).toBe(rows - COUNT_AT_START);
    // That process stops: this one takes over and finishes, then lets the lease go.
    releaseLease(db, 'memory.term-counts', 'other-process');
    const leased = () =>
      (
        db.$client
          .prepare("SELECT count(*) AS n FROM elaoms_leases WHERE name = 'memory.term-counts'")
          .get() as {
          n: number;
        }
      ).n;
    await waitUntil(() => uncounted(db) === 0 && leased() === 0);
    expect(uncounted(db)).toBe(0);
    expect(leased()).toBe(0);
    await backend.close?.();
    closeDatabase(db);
  });

  it('starts without the write lock when nothing is left to index or count', async () => {
    const { db: first, path, dir } = databaseBefore(MEMORY_MIGRATIONS, 'term_counts', TABLE);
    closeDatabase(first);
    const db = openDatabase({ path, busyTimeoutMs: 0 });
    applyMigrations(db, MEMORY_MIGRATIONS, TABLE);
    await createEmbeddedBackend({ db, clock: manualClock(NOW) }).storeConversation(
      { userId: '+1' },
      conversation('c1', 'parrot talks'),
    );
    // Another process writes: a backend created now must not wait for (or fail on) its lock.
    const writer = openDatabase({ path, busyTimeoutMs: 0 });
    writer.$client.exec('BEGIN IMMEDIATE');
    const backend = createEmbeddedBackend({ db, clock: manualClock(NOW) });
    expect((await backend.search({ userId: '+1' }, 'parrot')).map((hit) => hit.text)).toHaveLength(1);
    writer.$client.exec('ROLLBACK');
    await backend.close?.();
    closeDatabase(writer);
    closeDatabase(db);
    rmSync(dir, { recursive: true, force: true });
  });

  it('catches up the rows of a database made before the counts when the backend is created', async () => {
    const { db: old, path, dir } = databaseBefore(MEMORY_MIGRATIONS, 'term_counts', TABLE);
    const insert = old.$client.prepare(INSERT);
    for (let i = 0; i < 60; i++)
      insert.run(`+1${i % 3}`, `c${i}`, 'transcript', 0, `parrot number ${i}`, NOW);
    closeDatabase(old);

    const db = openDatabase({ path });
    applyMigrations(db, MEMORY_MIGRATIONS, TABLE);
    expect(uncounted(db)).toBe(60);
    const backend = createEmbeddedBackend({ db, clock: manualClock(NOW) });
    expect(uncounted(db)).toBe(0);
    for (const row of countRows(db)) expect(row.termCounts).toBe(termStats(row.text).counts);
    const hits = await backend.search({ userId: '+11' }, 'parrots', { limit: 20 });
    expect(hits).toHaveLength(20);

    // Rows inserted by hand are counted at the next start.
    db.$client
      .prepare(
        'INSERT INTO memory_items (user_id, conversation_id, kind, seq, text, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run('+11', 'hand', 'fact', 0, 'A parrot called Polly', NOW);
    expect(uncounted(db)).toBe(1);
    await backend.close?.();
    const restarted = createEmbeddedBackend({ db, clock: manualClock(NOW) });
    expect(uncounted(db)).toBe(0);
    expect((await restarted.search({ userId: '+11' }, 'polly')).map((hit) => hit.text)).toEqual([
      'A parrot called Polly',
    ]);
    await restarted.close?.();
    closeDatabase(db);
    rmSync(dir, { recursive: true, force: true });
  });
});
