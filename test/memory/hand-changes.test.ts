/**
 * Operators change `memory_items` by hand: move a caller's memories to a new number, correct a text,
 * shift times, replace rows. The embedded backend's derived rows (`memory_terms`, `memory_ranks`)
 * follow through triggers and background rounds: a search never shows a row that is no longer the
 * caller's, finds the changed rows again within a few rounds, and erasure leaves nothing behind.
 */
import { describe, expect, it } from 'bun:test';
import { createEmbeddedBackend } from '../../plugins/memory/embedded.ts';
import { callerKey } from '../../plugins/memory/fts-query.ts';
import type { MemoryBackend } from '../../plugins/memory/types.ts';
import { rebuildIndex } from '../../plugins/memory/upkeep.ts';
import { manualClock } from '../../src/clock.ts';
import { closeDatabase, type Db } from '../../src/db/index.ts';
import { waitUntil } from '../helpers/wait.ts';
import { conversation, countOf, itemRows, memoryDb, rankRows } from './helpers.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

/** A backend whose background round runs every 10 ms, on a fresh database. */
function backendWithRounds(): { db: Db; backend: MemoryBackend } {
  const db = memoryDb();
  return { db, backend: createEmbeddedBackend({ db, clock: manualClock(NOW), mergeIntervalMs: 10 }) };
}

async function ids(backend: MemoryBackend, userId: string, query: string, limit = 20): Promise<string[]> {
  return (await backend.search({ userId }, query, { limit })).map((hit) => hit.id);
}

/** Nothing of the caller left in the derived tables. */
function derivedRows(db: Db): number {
  return countOf(db, 'SELECT count(*) AS n FROM memory_terms_docsize') + rankRows(db).length;
}

/**
 * +1 stores a conversation, then its row is restored by id as +2's with another text: REPLACE fires
 * no delete trigger and the id is not new, so the index and counts still hold +1's words on it.
 */
async function restoredForAnother(db: Db, backend: MemoryBackend): Promise<number> {
  await backend.storeConversation({ userId: '+1' }, conversation('c1', 'my parrot talks'));
  const [row] = itemRows(db);
  db.$client
    .prepare(
      `INSERT OR REPLACE INTO memory_items (id, user_id, conversation_id, kind, seq, text, created_at, word_count)
       VALUES (?, '+2', 'c1', 'transcript', 0, 'a budgie sings', ?, 3)`,
    )
    .run(row!.id, NOW);
  return row!.id;
}

/** Ids whose index terms still hold +1's word "parrot". */
function idsWithPlusOnesParrot(db: Db): unknown[] {
  return db.$client
    .prepare('SELECT rowid FROM memory_terms WHERE memory_terms MATCH ?')
    .all(`"${callerKey('+1')}parrot"`);
}

describe('memory rows changed by hand', () => {
  it("follows a caller's memories moved to a new number, and their erasure", async () => {
    const { db, backend } = backendWithRounds();
    await backend.storeConversation(
      { userId: '+1' },
      conversation('c1', 'my parrot talks', { facts: ['A parrot'] }),
    );
    db.$client.exec("UPDATE memory_items SET user_id = '+2' WHERE user_id = '+1'");
    // Gone from the old number at once; found under the new one after a background round.
    expect(await ids(backend, '+1', 'parrot')).toEqual([]);
    const all = itemRows(db).map((row) => String(row.id));
    expect(await waitUntil(async () => (await ids(backend, '+2', 'parrot')).length === all.length)).toBe(
      true,
    );
    expect(rankRows(db).map((row) => row.userId)).toEqual(all.map(() => '+2'));
    await backend.deleteUser({ userId: '+2' });
    expect(derivedRows(db)).toBe(0);
    await backend.close?.();
    closeDatabase(db);
  });

  it('searches a corrected text by its new words only', async () => {
    const { db, backend } = backendWithRounds();
    await backend.storeConversation(
      { userId: '+1' },
      conversation('c1', 'my parrot talks', { facts: ['A parrot'] }),
    );
    const fact = itemRows(db).find((row) => row.text === 'A parrot')!;
    db.$client.prepare("UPDATE memory_items SET text = 'A budgie' WHERE id = ?").run(fact.id);
    expect(await waitUntil(async () => (await ids(backend, '+1', 'budgie')).length === 1)).toBe(true);
    expect(await ids(backend, '+1', 'budgie')).toEqual([String(fact.id)]);
    expect(await ids(backend, '+1', 'parrot')).not.toContain(String(fact.id));
    expect(await ids(backend, '+1', 'parrot')).toHaveLength(1);
    await backend.close?.();
    closeDatabase(db);
  });

  it('keeps rows searchable through a new time or an update that changes nothing', async () => {
    const { db, backend } = backendWithRounds();
    await backend.storeConversation(
      { userId: '+1' },
      conversation('old', 'parrot', { endedAt: new Date(NOW - 300 * DAY).toISOString() }),
    );
    await backend.storeConversation(
      { userId: '+1' },
      conversation('new', 'parrot', { endedAt: new Date(NOW).toISOString() }),
    );
    const conversations = async () =>
      (await backend.search({ userId: '+1' }, 'parrot', { limit: 20 })).map(
        (hit) => hit.metadata?.conversation_id,
      );
    expect(await conversations()).toEqual(['new', 'old']);
    db.$client.exec('UPDATE memory_items SET text = text, user_id = user_id');
    db.$client.prepare("UPDATE memory_items SET created_at = ? WHERE conversation_id = 'old'").run(NOW + DAY);
    // At once, without a round: the recency ranking reads the new time.
    expect(await conversations()).toEqual(['old', 'new']);
    expect(rankRows(db).map((row) => row.createdAt)).toEqual(itemRows(db).map((row) => row.createdAt));
    expect(countOf(db, 'SELECT count(*) AS n FROM memory_items WHERE word_count IS NULL')).toBe(0);
    await backend.close?.();
    closeDatabase(db);
  });

  it('indexes a row whose id was changed under its new id', async () => {
    const { db, backend } = backendWithRounds();
    await backend.storeConversation({ userId: '+1' }, conversation('c1', 'parrot', { facts: ['A budgie'] }));
    const fact = itemRows(db).find((row) => row.text === 'A budgie')!;
    db.$client.prepare('UPDATE memory_items SET id = 1000 WHERE id = ?').run(fact.id);
    expect(await waitUntil(async () => (await ids(backend, '+1', 'budgie')).join() === '1000')).toBe(true);
    expect(rankRows(db).map((row) => row.id)).not.toContain(fact.id);
    await backend.close?.();
    closeDatabase(db);
  });

  it('searches on through rows replaced by hand, cleans what they left, and erases everything', async () => {
    const { db, backend } = backendWithRounds();
    await backend.storeConversation({ userId: '+1' }, conversation('c1', 'parrot parrot parrot'));
    await backend.storeConversation(
      { userId: '+1' },
      conversation('c2', 'about the parrot and other things'),
    );
    const before = itemRows(db);
    // REPLACE deletes the old rows without firing delete triggers (recursive_triggers is off): their
    // terms and ranks rows stay behind, for rows that are gone. The copies keep their word counts.
    db.$client.exec(`INSERT OR REPLACE INTO memory_items
        (user_id, agent_id, conversation_id, kind, seq, text, metadata_json, created_at, word_count)
      SELECT user_id, agent_id, conversation_id, kind, seq,
             CASE conversation_id WHEN 'c1' THEN 'a budgie now' ELSE text END, metadata_json, created_at, word_count
        FROM memory_items WHERE kind = 'transcript'`);
    const after = itemRows(db);
    expect(after.some((row) => before.some((old) => old.id === row.id))).toBe(false);
    // Left-over matches take no place among the results.
    expect(await ids(backend, '+1', 'parrot', 1)).toEqual([]);
    expect(await waitUntil(async () => (await ids(backend, '+1', 'parrot', 1)).length === 1)).toBe(true);
    const c2 = after.find((row) => row.text.includes('other things'))!;
    expect(await ids(backend, '+1', 'parrot', 1)).toEqual([String(c2.id)]);
    // The next rounds drop what the replaced rows left: every ranks row has its memory again.
    expect(await waitUntil(() => rankRows(db).every((row) => after.some((item) => item.id === row.id)))).toBe(
      true,
    );
    expect(rankRows(db)).toHaveLength(after.length);
    expect(countOf(db, 'SELECT count(*) AS n FROM memory_terms_docsize')).toBe(after.length);

    db.$client.exec(`INSERT OR REPLACE INTO memory_items
        (user_id, agent_id, conversation_id, kind, seq, text, metadata_json, created_at, word_count)
      SELECT user_id, agent_id, conversation_id, kind, seq, text, metadata_json, created_at, word_count
        FROM memory_items`);
    await backend.deleteUser({ userId: '+1' });
    expect(derivedRows(db)).toBe(0);
    await backend.close?.();
    closeDatabase(db);
  });

  it('gives a restored id to its new owner when the old owner is erased, and is rebuilt by reindex', async () => {
    const db = memoryDb();
    // Rounds far apart: the erasure, not a round, must hand the id over here.
    const backend = createEmbeddedBackend({ db, clock: manualClock(NOW), mergeIntervalMs: 60_000 });
    const id = await restoredForAnother(db, backend);
    expect(await ids(backend, '+2', 'budgie')).toEqual([]);
    await backend.deleteUser({ userId: '+1' });
    expect(idsWithPlusOnesParrot(db)).toEqual([]);
    expect(await ids(backend, '+2', 'budgie')).toEqual([String(id)]);
    expect(rankRows(db)).toMatchObject([{ userId: '+2', id, wordCount: 3 }]);
    expect(rebuildIndex(db)).toBe(1);
    expect(await ids(backend, '+2', 'budgie')).toEqual([String(id)]);
    expect(await ids(backend, '+2', 'parrot')).toEqual([]);
    expect(rankRows(db)).toMatchObject([{ userId: '+2', id, wordCount: 3 }]);
    await backend.close?.();
    closeDatabase(db);
  });

  it('gives a restored id to its new owner when a search of the old one meets it first', async () => {
    const { db, backend } = backendWithRounds();
    const id = await restoredForAnother(db, backend);
    // +1's search meets the id (its old counts) and skips it; the next round hands it to +2.
    expect(await ids(backend, '+1', 'parrot')).toEqual([]);
    expect(await waitUntil(async () => (await ids(backend, '+2', 'budgie')).length === 1)).toBe(true);
    expect(idsWithPlusOnesParrot(db)).toEqual([]);
    expect(rankRows(db)).toMatchObject([{ userId: '+2', id }]);
    await backend.deleteUser({ userId: '+1' });
    expect(await ids(backend, '+2', 'budgie')).toEqual([String(id)]);
    await backend.close?.();
    closeDatabase(db);
  });
});
