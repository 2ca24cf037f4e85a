/**
 * The embedded index keeps each caller's words behind the caller's key (`memory_terms`). Rows the
 * backend did not write itself, those of a database made before this index and rows inserted by
 * hand, are indexed when a backend is created, and erasing a caller empties the caller's doclists.
 */
import { describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { createEmbeddedBackend } from '../../plugins/memory/embedded.ts';
import { callerKey, termsMatch } from '../../plugins/memory/fts-query.ts';
import { manualClock } from '../../src/clock.ts';
import { applyMigrations, closeDatabase, type Db, openDatabase } from '../../src/db/index.ts';
import { databaseBefore } from '../helpers/migrations.ts';
import { conversation, MEMORY_MIGRATIONS, memoryDb } from './helpers.ts';

const TABLE = '__elaoms_migrations_memory';
const insertSql =
  'INSERT INTO memory_items (user_id, conversation_id, kind, seq, text, created_at) VALUES (?, ?, ?, ?, ?, ?)';

function termRows(db: Db): number {
  return (db.$client.prepare('SELECT count(*) AS n FROM memory_terms_docsize').get() as { n: number }).n;
}

function texts(hits: { text: string }[]): string[] {
  return hits.map((hit) => hit.text).sort();
}

describe('embedded caller index', () => {
  it('indexes the rows of a database made before it, once, when the backend is created', async () => {
    // The migrations as they were before memory_terms.
    const { db: old, path, dir } = databaseBefore(MEMORY_MIGRATIONS, 'caller_terms', TABLE);
    const insert = old.$client.prepare(insertSql);
    for (let i = 0; i < 2500; i++) insert.run(`+1555${i % 50}`, `old${i}`, 'transcript', 0, `parrot ${i}`, i);
    insert.run('+1999', 'c1', 'summary', 0, 'Asked about the Café Ünïcode opening hours', 1);
    closeDatabase(old);

    const db = openDatabase({ path });
    applyMigrations(db, MEMORY_MIGRATIONS, TABLE);
    expect(db.$client.prepare("SELECT name FROM sqlite_master WHERE name = 'memory_fts'").all()).toEqual([]);
    const backend = createEmbeddedBackend({ db, clock: manualClock(), searchLimitMax: 50 });
    expect(termRows(db)).toBe(2501);
    const hits = await backend.search({ userId: '+15557' }, 'parrots', { limit: 50 });
    expect(hits).toHaveLength(50);
    expect(hits.every((hit) => hit.metadata?.conversation_id?.toString().startsWith('old'))).toBe(true);
    expect(texts(await backend.search({ userId: '+1999' }, 'cafe unicode'))).toEqual([
      'Asked about the Café Ünïcode opening hours',
    ]);

    // A second backend on the same file indexes nothing twice.
    createEmbeddedBackend({ db, clock: manualClock() });
    expect(termRows(db)).toBe(2501);
    closeDatabase(db);
    rmSync(dir, { recursive: true, force: true });
  });

  it('indexes rows inserted by hand at the next start, and what it stores itself at once', async () => {
    const db = memoryDb();
    const backend = createEmbeddedBackend({ db, clock: manualClock() });
    await backend.storeConversation({ userId: '+1' }, conversation('c1', 'My dog Rex needs his vaccination'));
    expect(texts(await backend.search({ userId: '+1' }, 'vaccinations'))).toEqual([
      'Agent: Hello, how can I help?\nCaller: My dog Rex needs his vaccination',
    ]);
    db.$client.prepare(insertSql).run('+1', 'c2', 'fact', 0, 'Rex is allergic to chicken', 2);
    expect(await backend.search({ userId: '+1' }, 'allergic')).toEqual([]);
    const restarted = createEmbeddedBackend({ db, clock: manualClock() });
    expect(texts(await restarted.search({ userId: '+1' }, 'allergic'))).toEqual([
      'Rex is allergic to chicken',
    ]);
    closeDatabase(db);
  });

  it('moves its mark past the rows it stores, unless a row stored by hand lies below them', async () => {
    const db = memoryDb();
    const mark = () =>
      (db.$client.prepare('SELECT indexed_through AS n FROM memory_terms_state').get() as { n: number }).n;
    const top = () => (db.$client.prepare('SELECT max(id) AS n FROM memory_items').get() as { n: number }).n;
    const backend = createEmbeddedBackend({ db, clock: manualClock() });
    await backend.storeConversation(
      { userId: '+1' },
      conversation('c1', 'parrot talks', { facts: ['A parrot'] }),
    );
    expect(mark()).toBe(top());
    db.$client.prepare(insertSql).run('+1', 'hand', 'fact', 0, 'A budgie by hand', 2);
    const byHand = top();
    await backend.storeConversation({ userId: '+1' }, conversation('c2', 'budgie sings'));
    expect(mark()).toBe(byHand - 1);
    createEmbeddedBackend({ db, clock: manualClock() });
    expect(mark()).toBe(top());
    expect(texts(await backend.search({ userId: '+1' }, 'budgie'))).toContain('A budgie by hand');
    closeDatabase(db);
  });

  it('writes each caller word once per row, behind the caller key, and erasure removes them', async () => {
    const db = memoryDb();
    const backend = createEmbeddedBackend({ db, clock: manualClock() });
    await backend.storeConversation({ userId: '+1' }, conversation('c1', 'Привет, dog dog dogs'));
    await backend.storeConversation({ userId: '+2' }, conversation('c1', 'dog'));
    // Every id has a key, the empty one too (a cached key once started out as '' for it).
    expect(callerKey('')).toMatch(/^k[0-9a-f]{12}$/);
    const key = callerKey('+1');
    expect(key).toMatch(/^k[0-9a-f]{12}$/);
    expect(callerKey('+2')).not.toBe(key);
    // One doclist per caller and word: the other caller's rows are not in it.
    const rows = (match: string) =>
      (
        db.$client
          .prepare('SELECT rowid FROM memory_terms WHERE memory_terms MATCH ?')
          .all(match) as unknown[]
      ).length;
    expect(rows(termsMatch('+1', 'dog')!)).toBe(1);
    expect(rows(termsMatch('+1', 'привет')!)).toBe(1);
    // "Agent: Hello, how can I help? Caller: Привет, dog dog dogs": 9 distinct terms, not 11.
    const size = db.$client.prepare('SELECT sz FROM memory_terms_docsize ORDER BY id LIMIT 1').get() as {
      sz: Uint8Array;
    };
    expect([...size.sz]).toEqual([9]);
    expect(termsMatch('+1', 'DOGS, dog!')).toBe(`"${key}dog"`);
    expect(termsMatch('+1', '"* NEAR(')).toBe(`"${key}near"`);
    expect(termsMatch('+1', '" * -')).toBeNull();
    await backend.deleteUser({ userId: '+1' });
    expect(rows(termsMatch('+1', 'dog')!)).toBe(0);
    expect(rows(termsMatch('+2', 'dog')!)).toBe(1);
    closeDatabase(db);
  });
});
