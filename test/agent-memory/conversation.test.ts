import { describe, expect, it } from 'bun:test';
import { conversationRecord, transcriptText, turnsOf } from '../../plugins/agent-memory/conversation.ts';
import { parseEnvelope } from '../../plugins/agent-memory/payload.ts';
import { transcription } from './payloads.ts';

describe('what goes into memory', () => {
  const envelope = parseEnvelope(
    JSON.stringify(transcription({ conversationId: 'c1', agentId: 'a1', name: 'Ann' })),
  );
  const record = conversationRecord(envelope, 'metadata.caller_id', 0);

  it('keeps the turns with text, in order, as readable lines', () => {
    expect(record.transcript.map((t) => t.role)).toEqual(['agent', 'user', 'agent']);
    expect(transcriptText(turnsOf(envelope.data))).toBe(
      'Agent: Hello! How can I help you today?\nCaller: I would like to check on my order.\nAgent: Done. Anything else?',
    );
  });

  it("carries ElevenLabs' summary and the data-collection results as facts", () => {
    expect(record.summary).toBe('The caller asked about the delivery date of order 1234.');
    expect(record.facts).toEqual(['caller_name: Ann']);
  });

  it('carries the DS-1.3 metadata and the call end time', () => {
    expect(record.metadata).toMatchObject({
      conversation_id: 'c1',
      agent_id: 'a1',
      event_type: 'post_call_transcription',
      event_timestamp: 1767225600,
      user_id_source: 'metadata.caller_id',
    });
    expect(record.endedAt).toBe(new Date((1767225500 + 60) * 1000).toISOString());
    expect(record.conversationId).toBe('c1');
  });

  it('never hands the backend the webhook as one JSON string', () => {
    const texts = [record.summary, ...(record.facts ?? []), ...record.transcript.map((t) => t.text)];
    for (const text of texts) expect(text?.startsWith('{')).toBe(false);
  });
});
