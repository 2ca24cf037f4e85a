/**
 * A post-call delivers its own event within its inline budget; the delivery worker does not take
 * the event from under it (which answered `queued` and parsed the payload again), and takes it
 * over once that window has passed, as it does after a crash.
 */
import { afterEach, describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { type Harness, harness } from './harness.ts';
import { transcription } from './payloads.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('inline delivery window', () => {
  it('leaves a new event to its request even when the worker polls all the time', async () => {
    h = await harness({ config: { agentMemory: { delivery: { pollIntervalMs: 1, batchSize: 50 } } } });
    h.service.start();
    const answers = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const response = await h.postCall(
          transcription({
            conversationId: `conv_window_${i}`,
            callerId: `+1555000${String(i).padStart(4, '0')}`,
          }),
        );
        return (await response.json()).status;
      }),
    );
    expect(answers).toEqual(Array(40).fill('received'));
    const rows = h.core.db.all<{ status: string; attempts: number }>(
      sql`SELECT status, attempts FROM agent_memory_events`,
    );
    expect(rows).toHaveLength(40);
    expect(rows.every((r) => r.status === 'delivered' && r.attempts === 1)).toBe(true);
  });

  it('lets the worker deliver an event whose request gave up, once the window has passed', async () => {
    h = await harness({
      config: { agentMemory: { delivery: { inlineBudgetMs: 0, pollIntervalMs: 5 } } },
    });
    h.service.start();
    const response = await h.postCall(transcription({ conversationId: 'conv_window_late' }));
    expect((await response.json()).status).toBe('queued');
    const status = () =>
      h.core.db.all<{ status: string }>(sql`SELECT status FROM agent_memory_events`)[0]?.status;
    for (let i = 0; i < 200 && status() !== 'delivered'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(status()).toBe('delivered');
  });
});
