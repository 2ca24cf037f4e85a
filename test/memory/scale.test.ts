/**
 * With many callers the caller's token narrows FTS inside the index and results stay per caller.
 * Speed is measured by `bun run bench` (search at 1k/10k/100k memories), not asserted here.
 */
import { describe, expect, it } from 'bun:test';
import { createEmbeddedBackend } from '../../plugins/memory/embedded.ts';
import { manualClock } from '../../src/clock.ts';
import { closeDatabase, transaction } from '../../src/db/index.ts';
import { memoryDb } from './helpers.ts';

const WORDS =
  'the a dog cat vet monday appointment insurance bill payment address phone name order refund delivery'.split(
    ' ',
  );

describe('embedded search at scale', () => {
  it('searches 30 000 memories of 1 000 callers and stays per caller', async () => {
    const db = memoryDb();
    const insert = db.$client.prepare(
      'INSERT INTO memory_items (user_id, conversation_id, kind, seq, text, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    transaction(db, () => {
      for (let i = 0; i < 30_000; i++) {
        const text = Array.from({ length: 40 }, (_, j) => WORDS[(i * 7 + j * 13) % WORDS.length]).join(' ');
        insert.run(`+1555${i % 1000}`, `c${i}`, 'transcript', 0, text, 1_700_000_000_000 + i);
      }
    });
    const backend = createEmbeddedBackend({ db, clock: manualClock() });
    for (let i = 0; i < 50; i++) {
      const hits = await backend.search({ userId: `+1555${i}` }, 'the dog vet appointment', { limit: 10 });
      expect(hits.length).toBeGreaterThan(0);
      for (const hit of hits)
        expect(Number(hit.metadata?.conversation_id?.toString().slice(1)) % 1000).toBe(i);
    }
    closeDatabase(db);
  });
});
