/**
 * search-data when the memory backend fails: 500 {"detail":"Failed to search memories"} (API-5),
 * not a stack trace and not an empty result that would tell the agent "nothing known".
 */
import { afterEach, describe, expect, it } from 'bun:test';
import { type Harness, harness, openMemoryFake } from './harness.ts';

const om = openMemoryFake();
let h: Harness;
afterEach(async () => {
  om.fake.faults.clear();
  await h?.close();
});

describe('POST /webhooks/search-data with a failing memory backend', () => {
  it('answers 500 Failed to search memories and logs the failure', async () => {
    h = await harness({ config: { memory: om.memoryConfig() } });
    om.fake.faults.always({
      kind: 'status',
      status: 500,
      match: (m, p) => m === 'POST' && p === '/memory/query',
    });
    const response = await h.webhook('/webhooks/search-data', { query: 'gym pass', user_id: '+15550000001' });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ detail: 'Failed to search memories' });
    expect(h.logs.some((l) => l.level === 'error' && l.msg === 'memory search failed')).toBe(true);
  });

  it('answers 500 when the backend connection is reset', async () => {
    h = await harness({ config: { memory: om.memoryConfig() } });
    om.fake.faults.always({ kind: 'reset' });
    const response = await h.webhook('/webhooks/search-data', {
      search_query: 'gym pass',
      caller_id: '+1555',
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ detail: 'Failed to search memories' });
  });
});
