/**
 * The remote backends store a caller summary as tagged memories, a new version per put. The old
 * versions are deleted once the new one is written, so the server holds one summary per caller.
 */
import { afterEach, describe, expect, it } from 'bun:test';
import { createMem0Backend } from '../../plugins/memory/mem0.ts';
import { createOpenMemoryBackend } from '../../plugins/memory/openmemory.ts';
import type { MemoryBackend } from '../../plugins/memory/types.ts';
import { manualClock } from '../../src/clock.ts';
import { createUpstream } from '../../src/resilience.ts';
import { startMem0Fake } from '../fakes/mem0.ts';
import { startOpenMemoryFake } from '../fakes/openmemory.ts';
import { conversation } from './helpers.ts';

const ALICE = { userId: '+15551240001', agentId: 'agent_1' };
const BOB = { userId: '+15551240002', agentId: 'agent_1' };
const KEY = 'summary-versions-key';

/** Long enough to take several memories on OpenMemory (200 characters a piece, tag included). */
const long = (n: number) =>
  `Version ${n}: ${'calls about the delivery of a sofa and asks to be rung back after six. '.repeat(5)}`.trim();

function upstream(name: string) {
  return createUpstream({
    name,
    maxRetries: 1,
    baseDelayMs: 5,
    maxDelayMs: 20,
    breakerThreshold: 50,
    halfOpenAfterMs: 1000,
  });
}

/** Each fake with a backend on it and a view of the summary memories it holds, by caller. */
interface Subject {
  backend: MemoryBackend;
  summaries(userId: string): Array<{ version: unknown; text: string }>;
  close(): Promise<void>;
}

// The clock does not move: the versions must still order the puts.
const clock = manualClock(Date.UTC(2026, 10, 23, 12));

const subjects: Record<string, () => Promise<Subject>> = {
  'openmemory (fake)': async () => {
    const fake = await startOpenMemoryFake({ apiKey: KEY });
    return {
      backend: createOpenMemoryBackend({
        url: fake.url,
        apiKey: KEY,
        timeoutMs: 2000,
        upstream: upstream('openmemory'),
        clock,
      }),
      summaries: (userId) =>
        [...fake.store.memories.values()]
          .filter((m) => m.user_id === userId && m.metadata.kind === 'user_summary')
          .map((m) => ({ version: m.metadata.version, text: m.content })),
      close: () => fake.close(),
    };
  },
  ...Object.fromEntries(
    (['oss', 'platform'] as const).map((flavour) => [
      `mem0 ${flavour} (fake)`,
      async (): Promise<Subject> => {
        const fake = await startMem0Fake({ flavour, apiKey: KEY });
        return {
          backend: createMem0Backend({
            flavour,
            url: fake.url,
            apiKey: KEY,
            timeoutMs: 2000,
            upstream: upstream('mem0'),
            clock,
          }),
          summaries: (userId) =>
            [...fake.store.memories.values()]
              .filter((m) => m.user_id === userId && m.metadata.kind === 'user_summary')
              .map((m) => ({ version: m.metadata.version, text: m.memory })),
          close: () => fake.close(),
        };
      },
    ]),
  ),
};

for (const [name, start] of Object.entries(subjects)) {
  describe(`putUserSummary on ${name}`, () => {
    let subject: Subject;

    afterEach(async () => {
      await subject.close();
    });

    it('keeps one summary per caller: three puts leave the newest, the other caller keeps theirs', async () => {
      subject = await start();
      const { backend } = subject;
      await backend.storeConversation(ALICE, conversation('conv_sv_a', 'Where is my sofa?'));
      await backend.storeConversation(BOB, conversation('conv_sv_b', 'I want a new kettle'));
      await backend.putUserSummary(BOB, 'Bob asks about kettles.');
      for (const n of [1, 2, 3]) await backend.putUserSummary(ALICE, long(n));

      const held = subject.summaries(ALICE.userId);
      expect(held.length).toBeGreaterThan(0);
      // One version left, and it is the third.
      expect(new Set(held.map((piece) => piece.version)).size).toBe(1);
      expect(held.some((piece) => piece.text.includes('Version 3:'))).toBe(true);
      expect(held.some((piece) => /Version [12]:/.test(piece.text))).toBe(false);
      expect((await backend.getUserSummary(ALICE))?.text).toBe(long(3));

      expect(subject.summaries(BOB.userId).length).toBe(1);
      expect((await backend.getUserSummary(BOB))?.text).toBe('Bob asks about kettles.');
      // The conversations themselves are untouched.
      expect((await backend.search(ALICE, 'sofa')).length).toBeGreaterThan(0);
    });
  });
}
