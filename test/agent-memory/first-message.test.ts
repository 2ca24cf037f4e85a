/** FIRST_MESSAGE_OVERRIDE: who decides whether a known caller's greeting is sent as first_message. */
import { afterEach, describe, expect, it } from 'bun:test';
import { type Harness, harness } from './harness.ts';
import { transcription } from './payloads.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const call = {
  caller_id: '+15550004242',
  agent_id: 'agent_fm',
  called_number: '+15559990000',
  call_sid: 'CA42',
};

async function knownCaller(firstMessageOverride?: string) {
  h = await harness({ config: { agentMemory: firstMessageOverride ? { firstMessageOverride } : {} } });
  const stored = await h.postCall(
    transcription({ conversationId: 'conv_fm', agentId: 'agent_fm', callerId: call.caller_id, name: 'Ada' }),
  );
  expect(stored.status).toBe(200);
  await h.service.settled();
  const response = await h.webhook('/webhooks/client-data', call);
  expect(response.status).toBe(200);
  return response.json();
}

describe('first_message override without an ElevenLabs API key', () => {
  it('auto (the default): no override, since the agent’s settings cannot be read', async () => {
    const body = await knownCaller();
    expect(body.dynamic_variables.user_context).not.toBe('');
    expect(body.conversation_config_override).toBeUndefined();
  });

  it('always: the operator enabled it in the agent’s Security tab, so the greeting is sent', async () => {
    const body = await knownCaller('always');
    expect(body.conversation_config_override.agent.first_message).toContain('Ada');
    expect(Object.keys(body.conversation_config_override)).toEqual(['agent']);
  });

  it('never: no override even for a known caller', async () => {
    const body = await knownCaller('never');
    expect(body.conversation_config_override).toBeUndefined();
  });

  it('a new caller never gets an override, whatever the setting', async () => {
    h = await harness({ config: { agentMemory: { firstMessageOverride: 'always' } } });
    const response = await h.webhook('/webhooks/client-data', { ...call, caller_id: '+15550009999' });
    expect((await response.json()).conversation_config_override).toBeUndefined();
  });
});
