/**
 * Callers who withhold their number arrive as "anonymous", "restricted", "+", … Used as a memory
 * key, that placeholder would pool every withheld caller into one memory: one would hear another's
 * history. They get no caller memory at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { type Harness, harness } from './harness.ts';
import { transcription } from './payloads.ts';

let h: Harness;

beforeAll(async () => {
  h = await harness();
  await h.postCall(
    transcription({
      conversationId: 'conv_withheld_1',
      callerId: 'anonymous',
      name: 'Greta',
      summary: 'Greta asked about her hearing aid battery replacement.',
      userSays: ['My hearing aid battery died again.'],
    }),
  );
  await h.postCall(transcription({ conversationId: 'conv_withheld_2', callerId: 'Restricted' }));
  await h.service.settled();
});
afterAll(async () => {
  await h.close();
});

describe('withheld caller ids', () => {
  it('files each withheld call under its own conversation, not under the placeholder', () => {
    const rows = h.core.db.all<{ user_id: string; user_id_source: string }>(
      sql`SELECT user_id, user_id_source FROM agent_memory_events ORDER BY conversation_id`,
    );
    expect(rows).toEqual([
      { user_id: 'conv_withheld_1', user_id_source: 'conversation_id' },
      { user_id: 'conv_withheld_2', user_id_source: 'conversation_id' },
    ]);
  });

  it("never greets another withheld caller with Greta's history", async () => {
    for (const caller_id of ['anonymous', 'ANONYMOUS', 'unknown', '+', 'private', 'unavailable']) {
      const response = await h.webhook('/webhooks/client-data', { caller_id, agent_id: 'agent_test' });
      expect(response.status).toBe(200);
      const body = await response.json();
      expect(body.dynamic_variables.user_context).toBe('');
      expect(body.conversation_config_override).toBeUndefined();
    }
  });

  it('finds nothing when the search tool passes a withheld caller id', async () => {
    for (const user_id of ['anonymous', 'Restricted']) {
      const response = await h.webhook('/webhooks/search-data', { query: 'hearing aid battery', user_id });
      expect((await response.json()).memories_found).toBe(0);
    }
  });
});
