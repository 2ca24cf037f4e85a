import { describe, expect, it } from 'bun:test';
import {
  dedupKey,
  extractUserId,
  parseEnvelope,
  storablePayload,
} from '../../plugins/agent-memory/payload.ts';
import { audio, transcription } from './payloads.ts';

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('user id extraction (FR-1.9, FR-7)', () => {
  it('prefers system__caller_id over every other source', () => {
    const data = {
      conversation_id: 'c1',
      metadata: { user_id: 'meta-user', caller_id: 'meta-caller' },
      conversation_initiation_client_data: {
        user_id: 'client-user',
        dynamic_variables: { system__caller_id: '+15551234567', user_id: 'dyn-user' },
      },
    };
    expect(extractUserId(data)).toEqual({
      userId: '+15551234567',
      source: 'conversation_initiation_client_data.dynamic_variables.system__caller_id',
    });
  });

  it('skips withheld-number placeholders, whatever their case', () => {
    for (const withheld of [
      'anonymous',
      'Anonymous',
      'UNKNOWN',
      'restricted',
      'Private',
      'unavailable',
      '+',
      ' ',
    ]) {
      const data = {
        conversation_id: 'c_withheld',
        metadata: { phone_call: { external_number: withheld } },
        conversation_initiation_client_data: { dynamic_variables: { system__caller_id: withheld } },
      };
      expect(extractUserId(data)).toEqual({ userId: 'c_withheld', source: 'conversation_id' });
    }
    const later = {
      conversation_id: 'c2',
      metadata: { phone_call: { external_number: '+15550001111' } },
      conversation_initiation_client_data: { dynamic_variables: { system__caller_id: 'Restricted' } },
    };
    expect(extractUserId(later)).toEqual({
      userId: '+15550001111',
      source: 'metadata.phone_call.external_number',
    });
  });

  it('walks the priority order down to the conversation id', () => {
    const data: Record<string, any> = {
      conversation_id: 'c1',
      metadata: { user_id: 'meta-user', caller_id: 'meta-caller', phone_call: { external_number: '+1555' } },
      conversation_initiation_client_data: {
        user_id: 'client-user',
        dynamic_variables: { user_id: 'dyn-user' },
      },
    };
    expect(extractUserId(data).userId).toBe('client-user');
    delete data.conversation_initiation_client_data.user_id;
    expect(extractUserId(data).userId).toBe('meta-user');
    delete data.metadata.user_id;
    expect(extractUserId(data).userId).toBe('dyn-user');
    delete data.conversation_initiation_client_data.dynamic_variables.user_id;
    expect(extractUserId(data)).toEqual({ userId: 'meta-caller', source: 'metadata.caller_id' });
    delete data.metadata.caller_id;
    expect(extractUserId(data).source).toBe('metadata.phone_call.external_number');
    delete data.metadata.phone_call;
    expect(extractUserId(data)).toEqual({ userId: 'c1', source: 'conversation_id' });
  });

  it('skips blank and non-string values', () => {
    const data = {
      conversation_id: 'c1',
      metadata: { caller_id: '  ' },
      conversation_initiation_client_data: { user_id: null, dynamic_variables: { system__caller_id: '' } },
    };
    expect(extractUserId(data).source).toBe('conversation_id');
  });
});

describe('envelope', () => {
  it('reads type, time, conversation and agent', () => {
    const envelope = parseEnvelope(bytes(transcription({ conversationId: 'abc', agentId: 'xyz' })));
    expect(envelope.type).toBe('post_call_transcription');
    expect(envelope.conversationId).toBe('abc');
    expect(envelope.agentId).toBe('xyz');
    expect(envelope.eventTimestamp).toBe(1767225600);
  });

  it('refuses bodies that are not webhooks, naming what is missing', () => {
    expect(() => parseEnvelope('not json')).toThrow('Invalid JSON payload');
    expect(() => parseEnvelope('[1]')).toThrow('Invalid JSON payload');
    expect(() => parseEnvelope('{"data":{}}')).toThrow('Missing type');
    expect(() => parseEnvelope('{"type":"x"}')).toThrow('Missing data');
    expect(() => parseEnvelope('{"type":"x","data":{}}')).toThrow('Missing conversation_id');
  });

  it('gives a byte-identical body the same dedup key, and any change another', async () => {
    const a = bytes(transcription());
    const same = await dedupKey(a, parseEnvelope(a));
    expect(await dedupKey(new Uint8Array(a), parseEnvelope(a))).toBe(same);
    const b = new TextEncoder().encode(`${JSON.stringify(transcription())}\n`);
    expect(await dedupKey(b, parseEnvelope(b))).not.toBe(same);
  });

  it('keeps audio events without their base64', () => {
    const raw = bytes(audio('c9', 'a9', 'QUJDRA=='));
    const kept = JSON.parse(storablePayload(raw, parseEnvelope(raw)));
    expect(kept.data.full_audio).toBeUndefined();
    expect(kept.data.full_audio_omitted_bytes).toBe(4);
    expect(kept.data.conversation_id).toBe('c9');
  });
});
