import { describe, expect, it } from 'bun:test';
import { extractProfile } from '../../plugins/agent-memory/profile.ts';
import { clientDataResponse, searchRequest, searchResponse } from '../../plugins/agent-memory/responses.ts';
import { buildAgent } from '../fakes/elevenlabs-agent.ts';

const body = {
  caller_id: '+15550000001',
  agent_id: 'agent_a',
  called_number: '+15550000002',
  call_sid: 'CA1',
};

describe('client-data response (API-4.4)', () => {
  const profile = extractProfile(buildAgent({ agent_id: 'agent_a', first_message: 'Hi there!' }));

  it('greets a known caller with the stored greeting and context', () => {
    const response = clientDataResponse(body, profile, {
      summary: 'Likes tea.',
      greeting: 'Welcome back, Ann!',
    });
    expect(response).toEqual({
      type: 'conversation_initiation_client_data',
      dynamic_variables: {
        caller_id: '+15550000001',
        called_number: '+15550000002',
        call_sid: 'CA1',
        user_context: 'Likes tea.',
      },
      conversation_config_override: { agent: { first_message: 'Welcome back, Ann!' } },
    });
  });

  it('leaves an unknown caller to the agent defaults: no override, empty context', () => {
    const response = clientDataResponse(body, profile, null);
    expect(response.conversation_config_override).toBeUndefined();
    expect(response.dynamic_variables.user_context).toBe('');
  });

  it('never overrides a field the agent does not allow', () => {
    const locked = extractProfile(buildAgent({ allow_overrides: { first_message: false } }));
    const response = clientDataResponse(body, locked, { summary: 's', greeting: 'Welcome back!' });
    expect(response.conversation_config_override).toBeUndefined();
    expect(
      clientDataResponse(body, null, { summary: 's', greeting: 'g' }).conversation_config_override,
    ).toBeUndefined();
  });

  it("carries the agent's own dynamic-variable placeholders, ours winning", () => {
    const agent = buildAgent();
    agent.conversation_config.agent.dynamic_variables.dynamic_variable_placeholders = {
      store_name: 'Acme',
      user_context: 'placeholder',
    };
    const response = clientDataResponse(body, extractProfile(agent), null);
    expect(response.dynamic_variables.store_name).toBe('Acme');
    expect(response.dynamic_variables.user_context).toBe('');
  });

  it('limits user_context to 500 characters (FR-8.3)', () => {
    const response = clientDataResponse(body, profile, { summary: 'word '.repeat(300) });
    expect(String(response.dynamic_variables.user_context).length).toBeLessThanOrEqual(500);
  });
});

describe('agent profile fields (FR-5.6)', () => {
  it('extracts title, first message, prompt, language, voice and the allowed overrides', () => {
    const profile = extractProfile(
      buildAgent({ agent_id: 'a1', name: 'Front desk', language: 'de', voice_id: 'v1', prompt: 'Be brief.' }),
    );
    expect(profile).toMatchObject({
      agentId: 'a1',
      title: 'Front desk',
      firstMessage: 'Hello! How can I help you today?',
      systemPrompt: 'Be brief.',
      language: 'de',
      voiceId: 'v1',
      allow: { firstMessage: true, language: true, prompt: true, voiceId: true },
    });
  });
});

describe('search-data request and response (API-5)', () => {
  it('accepts query or search_query, user_id or caller_id, and bounds the limit', () => {
    expect(searchRequest({ query: 'tea' })).toEqual({ query: 'tea', userId: 'unknown', limit: 5 });
    expect(searchRequest({ search_query: 'tea', caller_id: '+1', limit: 500 })).toEqual({
      query: 'tea',
      userId: '+1',
      limit: 50,
    });
    expect(searchRequest({ query: 'tea', user_id: 'u', limit: '3' })?.limit).toBe(3);
    expect(searchRequest({ query: 'tea', limit: 0 })?.limit).toBe(1);
    expect(searchRequest({ query: 'tea', limit: '' })?.limit).toBe(5);
    expect(searchRequest({ query: 'tea', limit: null })?.limit).toBe(5);
    expect(searchRequest({ query: 'tea', limit: 'many' })?.limit).toBe(5);
    expect(searchRequest({ query: '  ' })).toBeNull();
    expect(searchRequest({})).toBeNull();
  });

  it('answers the empty result exactly as API-5.5', () => {
    expect(searchResponse([])).toEqual({
      status: 'success',
      memories_found: 0,
      context: 'No relevant memories found.',
      memories: [],
    });
  });

  it('joins the memories into the context', () => {
    const response = searchResponse([
      { id: 'm1', text: 'Likes tea.', metadata: { conversation_id: 'c1' } },
      { id: 'm2', text: 'Has a dog.' },
    ]);
    expect(response.memories_found).toBe(2);
    expect(response.context).toBe('Likes tea.\n\nHas a dog.');
    expect(response.memories[0]).toEqual({
      id: 'm1',
      content: 'Likes tea.',
      metadata: { conversation_id: 'c1' },
    });
  });
});
