/** Hostile search text against the embedded backend: never an FTS5 error, never another caller's rows. */
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { createEmbeddedBackend } from '../../plugins/memory/embedded.ts';
import { callerKey, queryTokens, termsMatch } from '../../plugins/memory/fts-query.ts';
import type { MemoryBackend } from '../../plugins/memory/types.ts';
import { manualClock } from '../../src/clock.ts';
import { closeDatabase, type Db } from '../../src/db/index.ts';
import { conversation, memoryDb } from './helpers.ts';

const HOSTILE = [
  '"',
  '""',
  '*',
  'dog*',
  'NEAR(dog vet, 2)',
  'NEAR(',
  '-dog',
  'dog -vet',
  'text: dog',
  'owner : "u2b0"',
  '{owner text}: dog',
  'dog AND NOT vet',
  'dog OR',
  '^dog',
  'dog + vet',
  '(',
  ')',
  "'; DROP TABLE memory_items; --",
  'Ünïcödé café 東京 🐶',
  '\u0000dog\u202e',
  'a'.repeat(5000),
  '',
  '   ',
];

describe('embedded search with hostile queries', () => {
  let db: Db;
  let backend: MemoryBackend;

  beforeEach(async () => {
    db = memoryDb();
    backend = createEmbeddedBackend({ db, clock: manualClock(Date.parse('2026-01-10T00:00:00Z')) });
    await backend.storeConversation({ userId: 'victim' }, conversation('c_v', 'my dog vet secret café 東京'));
    await backend.storeConversation({ userId: 'u2b0' }, conversation('c_o', 'dog vet ordinary'));
    await backend.storeConversation({ userId: 'attacker' }, conversation('c_a', 'I have a cat'));
  });

  afterEach(() => closeDatabase(db));

  it('never throws and never returns another caller’s memory', async () => {
    for (const query of HOSTILE) {
      const hits = await backend.search({ userId: 'attacker' }, query);
      for (const hit of hits) expect(hit.metadata?.conversation_id).toBe('c_a');
    }
  });

  it('still finds words inside hostile text for the right caller', async () => {
    expect((await backend.search({ userId: 'victim' }, 'NEAR(dog "vet*')).length).toBeGreaterThan(0);
    expect((await backend.search({ userId: 'victim' }, 'cafe')).length).toBeGreaterThan(0);
    expect((await backend.search({ userId: 'victim' }, '東京')).length).toBeGreaterThan(0);
  });

  it("reduces text to the caller's quoted terms joined by OR", () => {
    const key = callerKey('victim');
    expect(termsMatch('victim', 'NEAR(dog "vet*')).toBe(`"${key}near" OR "${key}dog" OR "${key}vet"`);
    expect(termsMatch('victim', '" * - :')).toBeNull();
    expect(queryTokens('dog dog DOG')).toEqual(['dog']);
    expect(
      queryTokens('w '.repeat(100) + Array.from({ length: 100 }, (_, i) => `t${i}`).join(' ')).length,
    ).toBe(24);
  });
});

describe('embedded ranking', () => {
  it('prefers a recent memory over an old one of equal relevance', async () => {
    const db = memoryDb();
    const clock = manualClock(Date.parse('2026-06-01T00:00:00Z'));
    const backend = createEmbeddedBackend({ db, clock, recencyHalfLifeDays: 30 });
    const user = { userId: 'u' };
    await backend.storeConversation(
      user,
      conversation('old', 'parcel delivery problem', { endedAt: '2025-01-01T00:00:00Z' }),
    );
    await backend.storeConversation(
      user,
      conversation('new', 'parcel delivery problem', { endedAt: '2026-05-31T00:00:00Z' }),
    );
    const hits = await backend.search(user, 'parcel delivery');
    expect(hits.map((h) => h.metadata?.conversation_id)).toEqual(['new', 'old']);
    expect(hits[0].score!).toBeGreaterThan(hits[1].score!);
    closeDatabase(db);
  });

  it('puts the better text match first when ages are equal', async () => {
    const db = memoryDb();
    const backend = createEmbeddedBackend({ db, clock: manualClock() });
    const user = { userId: 'u' };
    await backend.storeConversation(user, conversation('weak', 'a question about billing'));
    await backend.storeConversation(
      user,
      conversation('strong', 'billing refund billing refund for my invoice'),
    );
    const hits = await backend.search(user, 'billing refund');
    expect(hits[0].metadata?.conversation_id).toBe('strong');
    closeDatabase(db);
  });
});
