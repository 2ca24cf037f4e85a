/**
 * A caller's summary and greeting come from the facts stored with each event at insert
 * (`facts_json`), not from re-parsing the last ten payloads on every post-call; rows from before
 * that column still count, read from their payload once.
 */
import { afterEach, describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { conversationFacts, summarize } from '../../plugins/agent-memory/greeting.ts';
import { type Harness, harness } from './harness.ts';
import { transcription } from './payloads.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const CALLER = '+15550003001';
const DAY = 86400;

/** Six conversations of one caller, a day apart: a name in the second, titles and summaries in each. */
const bodies = Array.from({ length: 6 }, (_, i) =>
  transcription({
    conversationId: `conv_hist_${i}`,
    callerId: CALLER,
    eventTimestamp: 1767225600 + i * DAY,
    title: [
      'Opening hours',
      'Refund request',
      'PIN reset',
      'Order delivery date',
      'Address change',
      'Invoice copy',
    ][i],
    summary: `Call ${i}: the caller asked about item ${i * 7} and was helped.`,
    name: i === 1 ? 'Maria Lopez' : undefined,
  }),
);

/** What the greeting was before facts were stored: facts parsed from every payload. */
function expected(h: Harness) {
  const history = bodies
    .map((b) => conversationFacts(b.data.conversation_id, b.event_timestamp * 1000, b.data))
    .reverse();
  const config = h.core.config.agentMemory;
  return summarize(
    history,
    { withTopic: config.greetingTemplate, withoutTopic: config.greetingTemplateNoTopic },
    bodies.length,
  );
}

/** The caller row is what the template makes of the six calls; returns that expectation. */
function expectCallerOfSixCalls(h: Harness) {
  const want = expected(h);
  expect(caller(h)).toEqual({
    summary: want.summary,
    greeting: want.greeting,
    name: 'Maria Lopez',
    conversations: 6,
  });
  return want;
}

function caller(h: Harness) {
  return h.core.db.all<{ summary: string; greeting: string; name: string | null; conversations: number }>(
    sql`SELECT summary, greeting, name, conversations FROM agent_memory_callers WHERE user_id = ${CALLER}`,
  )[0];
}

function facts(h: Harness) {
  return h.core.db.all<{ conversation_id: string; facts_json: string | null }>(
    sql`SELECT conversation_id, facts_json FROM agent_memory_events ORDER BY conversation_id`,
  );
}

async function post(h: Harness, body: unknown) {
  const answer = await (await h.postCall(body)).json();
  expect(answer.status).toBe('received');
  await h.service.settled();
}

describe("a caller's summary from the facts stored with each conversation", () => {
  it('stores compact facts at insert and greets a caller with 5 earlier conversations as before', async () => {
    h = await harness();
    for (const body of bodies) await post(h, body);
    const rows = facts(h);
    expect(rows.length).toBe(6);
    for (const row of rows) {
      expect(row.facts_json).not.toBeNull();
      expect(row.facts_json!.length).toBeLessThan(300);
    }
    expect(JSON.parse(rows[1]!.facts_json!)).toEqual({
      name: 'Maria Lopez',
      topic: 'refund request',
      summary: 'Call 1: the caller asked about item 7 and was helped.',
    });
    const want = expectCallerOfSixCalls(h);
    expect(want.greeting).toContain('Maria Lopez');
    expect(want.greeting).toContain('invoice copy');
  });

  it('still reads older rows without facts from their payload, and stores their facts then', async () => {
    h = await harness();
    for (const body of bodies.slice(0, 5)) await post(h, body);
    const stored = facts(h);
    // Rows written before the column existed.
    h.core.db.run(sql`UPDATE agent_memory_events SET facts_json = NULL`);

    await post(h, bodies[5]);
    expectCallerOfSixCalls(h);
    // Parsed once: the older rows now carry the same facts a fresh insert stores.
    expect(facts(h).slice(0, 5)).toEqual(stored);
  });
});
