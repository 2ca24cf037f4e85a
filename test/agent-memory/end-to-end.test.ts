import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type ElevenLabsFake, startElevenLabsFake } from '../fakes/elevenlabs.ts';
import { type Harness, harness } from './harness.ts';
import { transcription } from './payloads.ts';

const A = '+15550000001';
const B = '+15550000002';

describe('end to end over HTTP: post-call, search-data, client-data', () => {
  let h: Harness;
  let elevenlabs: ElevenLabsFake;

  beforeAll(async () => {
    elevenlabs = await startElevenLabsFake({
      agents: [{ agent_id: 'agent_front', first_message: 'Hello from the desk!' }],
    });
    h = await harness({ elevenlabsUrl: elevenlabs.url });
    const stored = await h.postCall(
      transcription({
        conversationId: 'conv_e2e_a',
        agentId: 'agent_front',
        callerId: A,
        name: 'Ann',
        title: 'Espresso machine repair',
        summary:
          'Ann reported that her espresso machine leaks water; a technician visit was booked for Friday.',
        userSays: ['My espresso machine is leaking water everywhere.'],
      }),
    );
    expect((await stored.json()).status).toBe('received');
    await h.service.settled();
  });

  afterAll(async () => {
    await h.close();
    await elevenlabs.close();
  });

  it("finds caller A's conversation when A searches", async () => {
    const response = await h.webhook('/webhooks/search-data', { query: 'espresso machine', user_id: A });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.status).toBe('success');
    expect(body.memories_found).toBeGreaterThan(0);
    expect(body.context.toLowerCase()).toContain('espresso');
  });

  it("never shows A's memories to caller B", async () => {
    const response = await h.webhook('/webhooks/search-data', {
      search_query: 'espresso machine',
      caller_id: B,
    });
    expect(await response.json()).toEqual({
      status: 'success',
      memories_found: 0,
      context: 'No relevant memories found.',
      memories: [],
    });
    const unknown = await h.webhook('/webhooks/search-data', { query: 'espresso machine' });
    expect((await unknown.json()).memories_found).toBe(0);
  });

  it('greets A by name with the last topic', async () => {
    const response = await h.webhook('/webhooks/client-data', {
      caller_id: A,
      agent_id: 'agent_front',
      called_number: '+15559990000',
      call_sid: 'CA_e2e',
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.type).toBe('conversation_initiation_client_data');
    expect(body.conversation_config_override.agent.first_message).toBe(
      'Welcome back, Ann! Last time we talked about espresso machine repair. How can I help you today?',
    );
    expect(body.dynamic_variables).toMatchObject({
      caller_id: A,
      called_number: '+15559990000',
      call_sid: 'CA_e2e',
    });
    expect(body.dynamic_variables.user_context).toContain('espresso machine leaks water');
    expect(body.dynamic_variables.user_context.length).toBeLessThanOrEqual(500);
  });

  it("leaves an unknown caller to the agent's default first message", async () => {
    const response = await h.webhook('/webhooks/client-data', {
      caller_id: '+15550009999',
      agent_id: 'agent_front',
    });
    const body = await response.json();
    expect(body.conversation_config_override).toBeUndefined();
    expect(body.dynamic_variables.user_context).toBe('');
  });

  it('refreshed the agent profile in the background after the post-call, and client-data stores none', async () => {
    const profiles = h.core.db.$client.prepare('SELECT agent_id FROM agent_memory_profiles').all();
    expect(profiles).toEqual([{ agent_id: 'agent_front' }]);
    const gets = elevenlabs.requests.filter((r) => r.path === '/v1/convai/agents/agent_front');
    expect(gets.length).toBe(1);
    expect(gets[0]!.headers['xi-api-key']).toBe('test-xi-api-key');
  });

  it('answers 400 Missing agent_id and Missing query parameter', async () => {
    const noAgent = await h.webhook('/webhooks/client-data', { caller_id: A });
    expect(noAgent.status).toBe(400);
    expect(await noAgent.json()).toEqual({ detail: 'Missing agent_id' });
    const noQuery = await h.webhook('/webhooks/search-data', { user_id: A });
    expect(noQuery.status).toBe(400);
    expect(await noQuery.json()).toEqual({ detail: 'Missing query parameter' });
  });

  it('refuses the webhooks without the key', async () => {
    const response = await h.request('/webhooks/search-data', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'x', user_id: A }),
    });
    expect(response.status).toBe(401);
  });
});
