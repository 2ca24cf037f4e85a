import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import type { MemoryBackend } from '../../plugins/memory/index.ts';
import { type ElevenLabsFake, startElevenLabsFake } from '../fakes/elevenlabs.ts';
import { type OpenMemoryFake, startOpenMemoryFake } from '../fakes/openmemory.ts';
import { type Harness, harness } from './harness.ts';
import { transcription } from './payloads.ts';

let elevenlabs: ElevenLabsFake;
let h: Harness;

beforeAll(async () => {
  elevenlabs = await startElevenLabsFake({
    agents: [
      { agent_id: 'agent_cd', name: 'Front desk', language: 'fr' },
      { agent_id: 'agent_vars', name: 'Billing desk' },
    ],
  });
  elevenlabs.agents.get(
    'agent_vars',
  )!.conversation_config.agent.dynamic_variables.dynamic_variable_placeholders = {
    account_tier: 'standard',
    open_invoices: 0,
  };
});
afterAll(async () => {
  await elevenlabs.close();
});
afterEach(async () => {
  elevenlabs.faults.clear();
  await h?.close();
});

const call = {
  caller_id: '+15550000077',
  agent_id: 'agent_cd',
  called_number: '+15559990000',
  call_sid: 'CA77',
};

describe('POST /webhooks/client-data', () => {
  it('falls back to the agent defaults within the deadline when ElevenLabs is slow, and logs it', async () => {
    h = await harness({
      elevenlabsUrl: elevenlabs.url,
      config: { agentMemory: { clientDataTimeoutMs: 100 } },
    });
    elevenlabs.faults.always({ kind: 'delay', ms: 2000 });
    const started = performance.now();
    const response = await h.webhook('/webhooks/client-data', call);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      type: 'conversation_initiation_client_data',
      dynamic_variables: {
        caller_id: call.caller_id,
        called_number: call.called_number,
        call_sid: 'CA77',
        user_context: '',
      },
    });
    expect(h.logs.some((l) => l.level === 'warn' && l.msg.includes('deadline'))).toBe(true);
    // The access line names the call although the deadline answered; the work that outlived the
    // answer still logs what it found, on a line of its own (the access line is already written).
    const id = response.headers.get('x-request-id');
    expect(h.logs.find((l) => l.msg === 'request' && l.request_id === id)).toMatchObject({
      agent_id: 'agent_cd',
      call_sid: 'CA77',
    });
    const answered = () => h.logs.find((l) => l.msg === 'client-data answered' && l.request_id === id);
    for (let i = 0; i < 300 && !answered(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(answered()).toMatchObject({ agent_id: 'agent_cd', call_sid: 'CA77', known_caller: false });
  });

  it('reads the profile from ElevenLabs when nothing is stored, and stores none (FR-2.9, FR-5.8)', async () => {
    h = await harness({ elevenlabsUrl: elevenlabs.url });
    const before = elevenlabs.requests.length;
    const response = await h.webhook('/webhooks/client-data', call);
    expect(response.status).toBe(200);
    expect(elevenlabs.requests.length).toBe(before + 1);
    expect(h.core.db.all(sql`SELECT agent_id FROM agent_memory_profiles`)).toEqual([]);
    const cache = h.core.service<any>('cache').namespace('agent-profile');
    expect(await cache.getText('agent_cd')).toBeNull();
  });

  it('answers the defaults for an agent ElevenLabs does not know', async () => {
    h = await harness({ elevenlabsUrl: elevenlabs.url });
    const response = await h.webhook('/webhooks/client-data', { ...call, agent_id: 'agent_missing' });
    expect(response.status).toBe(200);
    expect((await response.json()).conversation_config_override).toBeUndefined();
  });

  it('greets a known caller from the stored greeting even with ElevenLabs unreachable, once a profile is stored', async () => {
    h = await harness({ elevenlabsUrl: elevenlabs.url });
    await h.postCall(
      transcription({
        conversationId: 'conv_cd',
        agentId: 'agent_cd',
        callerId: call.caller_id,
        name: 'Zoe',
      }),
    );
    await h.service.settled();
    const profile = h.core.db.all<{ profile: string }>(sql`SELECT profile FROM agent_memory_profiles`);
    expect(JSON.parse(profile[0]!.profile)).toMatchObject({
      agentId: 'agent_cd',
      title: 'Front desk',
      language: 'fr',
    });
    elevenlabs.faults.always({ kind: 'status', status: 503 });
    const body = await (await h.webhook('/webhooks/client-data', call)).json();
    expect(body.conversation_config_override.agent.first_message).toContain('Welcome back, Zoe!');
  });

  it('answers from the stored profile row when the cache has none, with ElevenLabs down', async () => {
    h = await harness({ elevenlabsUrl: elevenlabs.url });
    const stored = {
      agentId: 'agent_table',
      title: 'Night desk',
      allow: { firstMessage: false, language: false, prompt: false, voiceId: false },
      clientDataWebhook: true,
      placeholders: { shift: 'night' },
    };
    h.core.db.run(
      sql`INSERT INTO agent_memory_profiles (agent_id, profile, fetched_at) VALUES ('agent_table', ${JSON.stringify(stored)}, 1)`,
    );
    elevenlabs.faults.always({ kind: 'status', status: 503 });
    const response = await h.webhook('/webhooks/client-data', { ...call, agent_id: 'agent_table' });
    expect(response.status).toBe(200);
    expect((await response.json()).dynamic_variables).toMatchObject({ shift: 'night' });
    const id = response.headers.get('x-request-id');
    expect(h.logs.find((l) => l.request_id === id && l.msg === 'request')).toMatchObject({
      agent_id: 'agent_table',
      profile_source: 'table',
      known_caller: false,
    });
  });

  it('says on the access line what client-data and search-data answered, with no line of their own', async () => {
    h = await harness({ elevenlabsUrl: elevenlabs.url });
    const response = await h.webhook('/webhooks/client-data', call);
    expect(response.status).toBe(200);
    const id = response.headers.get('x-request-id');
    const lines = h.logs.filter((l) => l.request_id === id && l.level !== 'debug');
    expect(lines.map((l) => l.msg)).toEqual(['request']);
    expect(lines[0]).toMatchObject({
      path: '/webhooks/client-data',
      status: 200,
      agent_id: 'agent_cd',
      call_sid: 'CA77',
      profile_source: 'elevenlabs',
      known_caller: false,
      greeting: false,
    });
    const searched = await h.webhook('/webhooks/search-data', { query: 'order', user_id: call.caller_id });
    const searchId = searched.headers.get('x-request-id');
    const searchLines = h.logs.filter((l) => l.request_id === searchId && l.level !== 'debug');
    expect(searchLines.map((l) => l.msg)).toEqual(['request']);
    expect(searchLines[0]).toMatchObject({ path: '/webhooks/search-data', found: 0, limit: 5 });
  });

  it('writes the compact agent profile to the memory backend under the agent id (FR-5.1–5.3)', async () => {
    h = await harness({ elevenlabsUrl: elevenlabs.url });
    await h.postCall(transcription({ conversationId: 'conv_profile', agentId: 'agent_cd' }));
    await h.service.settled();
    const memory = h.core.service<MemoryBackend>('memory');
    const items = await memory.listRecent({ userId: 'agent_cd' }, { limit: 20 });
    expect(items.some((i) => i.metadata?.type === 'agent_profile' && i.text.includes('Front desk'))).toBe(
      true,
    );
  });
});

describe('client-data with the memory backend down', () => {
  let openmemory: OpenMemoryFake;
  beforeAll(async () => {
    openmemory = await startOpenMemoryFake({ apiKey: 'om-key' });
  });
  afterAll(async () => {
    await openmemory.close();
  });
  afterEach(() => {
    openmemory.faults.clear();
  });

  it('answers the defaults and logs why', async () => {
    h = await harness({
      config: { memory: { backend: 'openmemory', openmemory: { url: openmemory.url, apiKey: 'om-key' } } },
    });
    openmemory.faults.always({ kind: 'status', status: 503 });
    const response = await h.webhook('/webhooks/client-data', call);
    expect(response.status).toBe(200);
    expect((await response.json()).dynamic_variables.user_context).toBe('');
    expect(h.logs.some((l) => l.level === 'warn' && l.msg.includes('personalization failed'))).toBe(true);
  });

  const withVariables = { ...call, agent_id: 'agent_vars' };

  it("still answers the agent's dynamic-variable placeholders", async () => {
    h = await harness({
      elevenlabsUrl: elevenlabs.url,
      config: { memory: { backend: 'openmemory', openmemory: { url: openmemory.url, apiKey: 'om-key' } } },
    });
    openmemory.faults.always({ kind: 'status', status: 503 });
    const response = await h.webhook('/webhooks/client-data', withVariables);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.dynamic_variables).toMatchObject({
      account_tier: 'standard',
      open_invoices: 0,
      user_context: '',
    });
  });

  it('still answers the placeholders when the memory backend outlasts the deadline', async () => {
    h = await harness({
      elevenlabsUrl: elevenlabs.url,
      config: {
        memory: { backend: 'openmemory', openmemory: { url: openmemory.url, apiKey: 'om-key' } },
        agentMemory: { clientDataTimeoutMs: 300 },
      },
    });
    openmemory.faults.always({ kind: 'delay', ms: 3000 });
    const body = await (await h.webhook('/webhooks/client-data', withVariables)).json();
    expect(body.dynamic_variables).toMatchObject({
      account_tier: 'standard',
      open_invoices: 0,
      user_context: '',
    });
    expect(h.logs.some((l) => l.level === 'warn' && l.msg.includes('deadline'))).toBe(true);
  });
});
