/**
 * Every transaction that stores rows adds a segment to the caller index; `mergeIndex` merges them
 * (the backend runs it in the background) and searches find the same memories afterwards.
 */
import { describe, expect, it } from 'bun:test';
import { createEmbeddedBackend, mergeIndex } from '../../plugins/memory/embedded.ts';
import { manualClock } from '../../src/clock.ts';
import { closeDatabase } from '../../src/db/index.ts';
import { conversation, memoryDb } from './helpers.ts';

describe('embedded index merging', () => {
  it('merges the segments of many small writes, then finds nothing left to merge', async () => {
    const db = memoryDb();
    const backend = createEmbeddedBackend({ db, clock: manualClock() });
    for (let i = 0; i < 40; i++)
      await backend.storeConversation({ userId: `+1${i % 4}` }, conversation(`c${i}`, `parrot number ${i}`));
    const before = await backend.search({ userId: '+12' }, 'parrots', { limit: 20 });
    expect(before).toHaveLength(10);
    expect(mergeIndex(db)).toBeGreaterThan(0);
    expect(mergeIndex(db)).toBe(0);
    expect(await backend.search({ userId: '+12' }, 'parrots', { limit: 20 })).toEqual(before);
    await backend.close?.();
    closeDatabase(db);
  });

  it('merges in the background while it runs, and stops when closed', async () => {
    const db = memoryDb();
    const backend = createEmbeddedBackend({ db, clock: manualClock(), mergeIntervalMs: 10 });
    for (let i = 0; i < 40; i++)
      await backend.storeConversation({ userId: `+1${i % 4}` }, conversation(`c${i}`, `parrot number ${i}`));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(mergeIndex(db)).toBe(0);
    await backend.close?.();
    for (let i = 40; i < 80; i++)
      await backend.storeConversation({ userId: `+1${i % 4}` }, conversation(`c${i}`, `parrot number ${i}`));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(mergeIndex(db)).toBeGreaterThan(0);
    closeDatabase(db);
  });
});
