/**
 * ElevenLabs fills webhook bodies from dynamic variables and tool parameters: ids may come as
 * numbers, unfilled values as null or "". None of that is a 422; the handlers read them as the
 * requirements say (API-4.3/4.5, FR-3.3, API-5.3/5.6).
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type Harness, harness, storeCalls } from './harness.ts';

/** A caller id that is all digits, as a number-typed dynamic variable would send it. */
const NUMERIC_CALLER = '12345';
/** Conversations of that caller that all mention the search word. */
const STORED = 7;

let h: Harness;

beforeAll(async () => {
  h = await harness();
  await storeCalls(h, {
    prefix: 'conv_loose',
    callerId: NUMERIC_CALLER,
    count: STORED,
    topic: 'trampoline order',
  });
});
afterAll(async () => {
  await h.close();
});

async function search(body: Record<string, unknown>) {
  const response = await h.webhook('/webhooks/search-data', body);
  return { status: response.status, body: await response.json() };
}

async function clientData(body: Record<string, unknown>) {
  const response = await h.webhook('/webhooks/client-data', body);
  return { status: response.status, body: await response.json() };
}

describe('search-data bodies with numbers and nulls', () => {
  it('searches the memories of a numeric user_id', async () => {
    const { status, body } = await search({ query: 'trampoline', user_id: Number(NUMERIC_CALLER) });
    expect(status).toBe(200);
    expect(body.memories_found).toBe(5);
  });

  it('reads a numeric query as text', async () => {
    const { status, body } = await search({ query: 1003, user_id: NUMERIC_CALLER });
    expect(status).toBe(200);
    expect(body.status).toBe('success');
  });

  it('uses the default limit for a null or blank limit', async () => {
    for (const limit of [null, '', '  ']) {
      const { status, body } = await search({ query: 'trampoline', user_id: NUMERIC_CALLER, limit });
      expect(status).toBe(200);
      expect(body.memories_found).toBe(5);
    }
    expect(
      (await search({ query: 'trampoline', user_id: NUMERIC_CALLER, limit: '2' })).body.memories_found,
    ).toBe(2);
  });

  it('answers 400 Missing query parameter for a null query, and searches "unknown" for a null user_id', async () => {
    expect(await search({ query: null, user_id: NUMERIC_CALLER })).toEqual({
      status: 400,
      body: { detail: 'Missing query parameter' },
    });
    const { status, body } = await search({ query: 'trampoline', user_id: null, caller_id: null });
    expect(status).toBe(200);
    expect(body.memories_found).toBe(0);
  });
});

describe('client-data bodies with numbers and nulls', () => {
  it('answers a null caller_id as an unknown caller', async () => {
    const { status, body } = await clientData({ caller_id: null, agent_id: 'agent_test', call_sid: null });
    expect(status).toBe(200);
    expect(body.dynamic_variables).toMatchObject({ caller_id: '', call_sid: '', user_context: '' });
  });

  it('reads a numeric agent_id and caller_id as text', async () => {
    const { status, body } = await clientData({ caller_id: Number(NUMERIC_CALLER), agent_id: 5 });
    expect(status).toBe(200);
    expect(body.dynamic_variables.caller_id).toBe(NUMERIC_CALLER);
  });

  it('answers 400 Missing agent_id for a null or blank agent_id', async () => {
    for (const agent_id of [null, '', '   ']) {
      expect(await clientData({ caller_id: '+15550000001', agent_id })).toEqual({
        status: 400,
        body: { detail: 'Missing agent_id' },
      });
    }
  });
});
