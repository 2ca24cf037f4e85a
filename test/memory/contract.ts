/**
 * The behaviour every MemoryBackend owes agent-memory, run against each implementation (the remote
 * ones against their fakes). `makeBackend` returns a fresh, empty backend and a cleanup.
 */
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import type { MemoryBackend } from '../../plugins/memory/types.ts';
import { sleep } from '../helpers/wait.ts';
import { conversation } from './helpers.ts';

export interface BackendUnderTest {
  backend: MemoryBackend;
  cleanup(): Promise<void>;
}

const ALICE = { userId: '+15551230001', agentId: 'agent_1' };
const BOB = { userId: '+15551230002', agentId: 'agent_1' };

export function backendContract(name: string, makeBackend: () => Promise<BackendUnderTest>): void {
  describe(`MemoryBackend contract: ${name}`, () => {
    let subject: BackendUnderTest;
    let backend: MemoryBackend;

    beforeEach(async () => {
      subject = await makeBackend();
      backend = subject.backend;
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    it('finds a stored conversation by what the caller said', async () => {
      const { ids } = await backend.storeConversation(
        ALICE,
        conversation('conv_a1', 'My dog Biscuit has a vet visit on Monday', {
          summary: 'Alice booked a vet visit for Biscuit.',
        }),
      );
      expect(ids.length).toBeGreaterThan(0);
      const hits = await backend.search(ALICE, 'When is Biscuit going to the vet?');
      expect(hits.length).toBeGreaterThan(0);
      expect(hits.some((hit) => hit.text.includes('Biscuit'))).toBe(true);
      for (const hit of hits) expect(hit.text.startsWith('[ref:')).toBe(false);
    });

    it('never shows one caller the memories of another, whatever the query', async () => {
      await backend.storeConversation(ALICE, conversation('conv_a2', 'My secret code word is pineapple'));
      for (const query of ['pineapple', 'secret code word', '" OR pineapple', 'text : pineapple', '*']) {
        const hits = await backend.search(BOB, query);
        expect(hits.filter((hit) => hit.text.includes('pineapple'))).toEqual([]);
      }
      expect(await backend.listRecent(BOB)).toEqual([]);
      expect(await backend.getUserSummary(BOB)).toBeNull();
    });

    it('stores two callers saying the same words as two separate memories', async () => {
      await backend.storeConversation(
        ALICE,
        conversation('conv_same_a', 'Please call me back tomorrow morning'),
      );
      await backend.storeConversation(
        BOB,
        conversation('conv_same_b', 'Please call me back tomorrow morning'),
      );
      const alice = await backend.listRecent(ALICE, { limit: 20 });
      const bob = await backend.listRecent(BOB, { limit: 20 });
      expect(bob.some((item) => item.text.includes('call me back'))).toBe(true);
      expect(alice.some((item) => item.text.includes('call me back'))).toBe(true);
      const aliceIds = new Set(alice.map((item) => item.id));
      expect(bob.filter((item) => aliceIds.has(item.id))).toEqual([]);
    });

    it('stores a conversation delivered twice only once', async () => {
      const record = conversation('conv_a3', 'I moved to 12 Elm Street', {
        facts: ['Lives at 12 Elm Street.'],
      });
      const first = await backend.storeConversation(ALICE, record);
      const before = await backend.listRecent(ALICE, { limit: 20 });
      const second = await backend.storeConversation(ALICE, record);
      const after = await backend.listRecent(ALICE, { limit: 20 });
      expect(second.ids).toEqual(first.ids);
      expect(after.length).toBe(before.length);
    });

    it('lists recent memories newest first', async () => {
      await backend.storeConversation(
        ALICE,
        conversation('conv_old', 'The old call about insurance', { endedAt: '2026-01-01T10:00:00.000Z' }),
      );
      await sleep(5);
      await backend.storeConversation(
        ALICE,
        conversation('conv_new', 'The new call about the refund', { endedAt: '2026-01-02T10:00:00.000Z' }),
      );
      const recent = await backend.listRecent(ALICE, { limit: 10 });
      const first = recent.findIndex((item) => item.text.includes('refund'));
      const second = recent.findIndex((item) => item.text.includes('insurance'));
      expect(first).toBeGreaterThanOrEqual(0);
      expect(second).toBeGreaterThan(first);
      expect((await backend.listRecent(ALICE, { limit: 1 })).length).toBe(1);
    });

    it('has no summary for an unknown caller, and returns the one put', async () => {
      expect(await backend.getUserSummary(ALICE)).toBeNull();
      await backend.storeConversation(ALICE, conversation('conv_a4', 'I prefer to be called Ally'));
      await backend.putUserSummary(ALICE, 'Ally prefers her nickname and calls about her dog Biscuit.');
      const summary = await backend.getUserSummary(ALICE);
      expect(summary?.text).toBe('Ally prefers her nickname and calls about her dog Biscuit.');
      expect(summary?.source).toBe('derived');
      expect(await backend.getUserSummary(BOB)).toBeNull();
    });

    it('erases a caller: counts what went, keeps the others', async () => {
      await backend.storeConversation(ALICE, conversation('conv_a5', 'Cancel my subscription please'));
      await backend.putUserSummary(ALICE, 'Alice wants to cancel.');
      await backend.storeConversation(BOB, conversation('conv_b5', 'Upgrade my subscription please'));
      const { deleted } = await backend.deleteUser(ALICE);
      expect(deleted).toBeGreaterThan(0);
      expect(await backend.listRecent(ALICE)).toEqual([]);
      expect(await backend.search(ALICE, 'cancel subscription')).toEqual([]);
      expect(await backend.getUserSummary(ALICE)).toBeNull();
      expect((await backend.search(BOB, 'upgrade subscription')).length).toBeGreaterThan(0);
    });

    it('reports itself healthy', async () => {
      const health = await backend.health();
      expect(health.ok).toBe(true);
    });
  });
}
