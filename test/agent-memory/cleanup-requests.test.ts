/**
 * CLEANUP_FREQUENCY_REQUESTS counts webhook requests, not only saves: client-data, search-data,
 * duplicates and unknown post-call types store nothing, yet each counts once toward the sweep.
 */
import { afterEach, describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { type Harness, harness } from './harness.ts';
import { transcription } from './payloads.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

function sweeps(): number {
  return h.core.db.all<{ n: number }>(sql`SELECT count(*) AS n FROM storage_sweeps`)[0]!.n;
}

/** The sweep runs in the background after the request that triggered it: wait for its row. */
async function sweepRecorded(): Promise<number> {
  for (let i = 0; i < 500 && sweeps() === 0; i++) await new Promise((r) => setTimeout(r, 10));
  return sweeps();
}

function options(every: number) {
  return { config: { storage: { cleanupEveryRequests: every, cleanupEverySeconds: 0 } } };
}

describe('storage sweep every N webhook requests', () => {
  it('counts client-data and search-data requests', async () => {
    h = await harness(options(3));
    await h.webhook('/webhooks/client-data', { caller_id: '+15550000001', agent_id: 'agent_test' });
    await h.webhook('/webhooks/search-data', { query: 'order', user_id: '+15550000001' });
    await h.webhook('/webhooks/search-data', { query: 'order', user_id: '+15550000001' });
    expect(await sweepRecorded()).toBe(1);
  });

  it('counts post-calls that store no file (redelivery, unknown type) once each', async () => {
    h = await harness(options(4));
    const body = transcription({ conversationId: 'conv_count' });
    await h.postCall(body); // saved: storage counts it
    await h.postCall(body); // byte-identical redelivery
    await h.postCall({ type: 'post_call_something_new', data: { conversation_id: 'conv_new' } });
    await h.webhook('/webhooks/search-data', { query: 'order' });
    expect(await sweepRecorded()).toBe(1);
  });
});
