/**
 * Agent-profile fetches honour ElevenLabs' Retry-After: a 429 that says "wait 0.3 s" is retried
 * after 300 ms, not after our 1 ms base backoff (PERF-2, reliability.md).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { type ElevenLabsFake, startElevenLabsFake } from '../fakes/elevenlabs.ts';
import { type Harness, harness } from './harness.ts';

let elevenlabs: ElevenLabsFake;
let h: Harness;

beforeAll(async () => {
  elevenlabs = await startElevenLabsFake({ agents: [{ agent_id: 'agent_busy', name: 'Busy desk' }] });
});
afterAll(async () => {
  await elevenlabs.close();
});
afterEach(async () => {
  elevenlabs.faults.clear();
  await h?.close();
});

describe('agent profile fetch under rate limiting', () => {
  it('waits as long as Retry-After says before the next attempt', async () => {
    h = await harness({
      elevenlabsUrl: elevenlabs.url,
      config: { resilience: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 5000 } },
    });
    elevenlabs.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '0.3' } });
    const profile = await h.service.profiles.refresh('agent_busy', true);
    expect(profile?.title).toBe('Busy desk');
    const retries = h.logs.filter(
      (l) => l.msg === 'retrying upstream call' && l.upstream === 'elevenlabs-agents',
    );
    expect(retries.map((l) => l.delay_ms)).toEqual([300]);
    const stored = h.core.db.all(sql`SELECT agent_id FROM agent_memory_profiles`);
    expect(stored).toEqual([{ agent_id: 'agent_busy' }]);
  });
});
