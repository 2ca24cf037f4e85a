/**
 * Embedded search ranks a caller's matches by BM25 over that caller's own memories, times recency:
 * the more relevant memory first, then the newer of two equally relevant ones, and other callers'
 * memories never change the order.
 */
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { createEmbeddedBackend } from '../../plugins/memory/embedded.ts';
import type { MemoryBackend } from '../../plugins/memory/types.ts';
import { manualClock } from '../../src/clock.ts';
import { closeDatabase, type Db } from '../../src/db/index.ts';
import { conversation, memoryDb } from './helpers.ts';

const ALICE = { userId: '+15550100001' };
const BOB = { userId: '+15550100002' };
const NOW = Date.parse('2026-06-01T00:00:00Z');
const daysAgo = (days: number) => new Date(NOW - days * 86_400_000).toISOString();

describe('embedded search ranking', () => {
  let db: Db;
  let backend: MemoryBackend;
  beforeEach(() => {
    db = memoryDb();
    backend = createEmbeddedBackend({ db, clock: manualClock(NOW) });
  });
  afterEach(() => closeDatabase(db));

  it('puts the more relevant memory first', async () => {
    await backend.storeConversation(
      ALICE,
      conversation(
        'weak',
        'I walked to the shop and the park and then home, nothing about pets at all, only the vet sign',
      ),
    );
    await backend.storeConversation(
      ALICE,
      conversation('strong', 'Biscuit sees the vet on Monday, the vet said Biscuit is fine'),
    );
    const hits = await backend.search(ALICE, 'When does Biscuit see the vet?');
    expect(hits.map((hit) => hit.metadata?.conversation_id)).toEqual(['strong', 'weak']);
    expect(hits[0]!.score!).toBeGreaterThan(hits[1]!.score!);
  });

  it('puts the newer of two equally relevant memories first', async () => {
    await backend.storeConversation(
      ALICE,
      conversation('old', 'Table for two on Friday', { endedAt: daysAgo(90) }),
    );
    await backend.storeConversation(
      ALICE,
      conversation('new', 'Table for two on Friday', { endedAt: daysAgo(1) }),
    );
    const hits = await backend.search(ALICE, 'table friday');
    expect(hits.map((hit) => hit.metadata?.conversation_id)).toEqual(['new', 'old']);
    expect(hits[0]!.score!).toBeGreaterThan(hits[1]!.score!);
  });

  it("weighs a word by how rare it is among the caller's own memories, not everyone's", async () => {
    for (let i = 0; i < 5; i++)
      await backend.storeConversation(ALICE, conversation(`dog${i}`, 'My dog likes the park'));
    await backend.storeConversation(ALICE, conversation('ins', 'The insurance renewal is due'));
    for (let i = 0; i < 30; i++) {
      await backend.storeConversation(BOB, conversation(`bob${i}`, 'insurance insurance claim for the car'));
    }
    const hits = await backend.search(ALICE, 'dog insurance', { limit: 3 });
    expect(hits[0]!.metadata?.conversation_id).toBe('ins');
    expect(hits.every((hit) => !String(hit.metadata?.conversation_id).startsWith('bob'))).toBe(true);
  });

  it('counts stemmed forms as the index matched them', async () => {
    await backend.storeConversation(ALICE, conversation('booked', 'I booked a table'));
    const hits = await backend.search(ALICE, 'booking');
    expect(hits.length).toBe(1);
    expect(hits[0]!.score!).toBeGreaterThan(0);
  });
});
