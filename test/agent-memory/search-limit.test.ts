/**
 * The search-data tool may ask for up to 50 memories (docs/elevenlabs-setup.md): the memory
 * backend's own cap (MEMORY_SEARCH_LIMIT_MAX) must not cut that to fewer by default.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type Harness, harness, storeCalls } from './harness.ts';

const CALLER = '+15550000064';
/** More than the cap of 50, so both the old default cap (20) and the cap itself show. */
const STORED = 55;

let h: Harness;

beforeAll(async () => {
  h = await harness();
  await storeCalls(h, { prefix: 'conv_limit', callerId: CALLER, count: STORED, topic: 'kayak rental' });
});
afterAll(async () => {
  await h.close();
});

describe('search-data limit', () => {
  it('returns 50 memories when the tool asks for 50, not the backend default of 20', async () => {
    const response = await h.webhook('/webhooks/search-data', { query: 'kayak', user_id: CALLER, limit: 50 });
    expect(response.status).toBe(200);
    expect((await response.json()).memories_found).toBe(50);
  });

  it('caps a larger limit at 50', async () => {
    const response = await h.webhook('/webhooks/search-data', {
      query: 'kayak',
      user_id: CALLER,
      limit: 500,
    });
    expect((await response.json()).memories_found).toBe(50);
  });
});
