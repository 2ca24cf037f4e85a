/**
 * The background agent-profile refresh (FR-5.7, FR-9) under ElevenLabs faults: 5xx is retried
 * `resilience.maxRetries` times and then given up with a log line, the post-call answer is the same
 * as without the fault, and after `breakerThreshold` failures the breaker opens, so ElevenLabs is
 * not called again until it half-opens.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { type ElevenLabsFake, startElevenLabsFake } from '../fakes/elevenlabs.ts';
import { type Harness, harness } from './harness.ts';
import { transcription } from './payloads.ts';

const AGENT = 'agent_flaky';
let elevenlabs: ElevenLabsFake;
let h: Harness;

beforeAll(async () => {
  elevenlabs = await startElevenLabsFake({ agents: [{ agent_id: AGENT, name: 'Flaky desk' }] });
});
afterAll(async () => {
  await elevenlabs.close();
});
afterEach(async () => {
  elevenlabs.faults.clear();
  elevenlabs.requests.length = 0;
  await h?.close();
});

const agentFetches = () => elevenlabs.requests.filter((r) => r.path === `/v1/convai/agents/${AGENT}`).length;
const failures = () => h.logs.filter((l) => l.msg === 'agent profile refresh failed' && l.agent_id === AGENT);

async function postCall(conversationId: string) {
  const response = await h.postCall(
    transcription({ conversationId, agentId: AGENT, callerId: '+15550000081' }),
  );
  const body = await response.json();
  await h.service.settled();
  return { status: response.status, body };
}

describe('agent profile refresh under ElevenLabs faults', () => {
  it('retries 5xx maxRetries times, then gives up with a log line; the post-call answer is unchanged', async () => {
    h = await harness({
      elevenlabsUrl: elevenlabs.url,
      config: { resilience: { maxRetries: 2, breakerThreshold: 10 } },
    });
    elevenlabs.faults.always({ kind: 'status', status: 503 });
    const answer = await postCall('conv_flaky_1');
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('received');
    expect(typeof answer.body.memory_id).toBe('string');

    expect(agentFetches()).toBe(3);
    const retries = h.logs.filter(
      (l) => l.msg === 'retrying upstream call' && l.upstream === 'elevenlabs-agents',
    );
    expect(retries.length).toBe(2);
    expect(failures().length).toBe(1);
    expect(failures()[0]!.level).toBe('warn');
    // The SDK's status and body once, after our own short message.
    const message = String(failures()[0]!.err?.message);
    expect(message.startsWith('ElevenLabs answered HTTP 503')).toBe(true);
    expect(message.split('Status code: 503').length).toBe(2);
    expect(h.core.db.all(sql`SELECT agent_id FROM agent_memory_profiles`)).toEqual([]);
  });

  it('opens the breaker after the threshold: later refreshes do not call ElevenLabs', async () => {
    h = await harness({
      elevenlabsUrl: elevenlabs.url,
      config: { resilience: { maxRetries: 0, breakerThreshold: 2, breakerHalfOpenAfterMs: 600_000 } },
    });
    elevenlabs.faults.always({ kind: 'status', status: 500 });
    await postCall('conv_breaker_1');
    await postCall('conv_breaker_2');
    expect(agentFetches()).toBe(2);
    expect(h.logs.some((l) => l.msg === 'circuit state changed' && l.circuit === 'open')).toBe(true);

    const answer = await postCall('conv_breaker_3');
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('received');
    expect(agentFetches()).toBe(2);
    expect(failures().length).toBe(3);
  });

  it('stores the profile once ElevenLabs answers again', async () => {
    h = await harness({ elevenlabsUrl: elevenlabs.url, config: { resilience: { maxRetries: 1 } } });
    elevenlabs.faults.push({ kind: 'status', status: 502 });
    await postCall('conv_recover_1');
    expect(agentFetches()).toBe(2);
    expect(h.core.db.all(sql`SELECT agent_id FROM agent_memory_profiles`)).toEqual([{ agent_id: AGENT }]);
  });
});
