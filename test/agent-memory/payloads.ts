/** Post-call payloads shaped like ElevenLabs' (reference elevenlabs.md §2), for the tests. */

export interface TranscriptionOptions {
  conversationId?: string;
  agentId?: string;
  callerId?: string | null;
  eventTimestamp?: number;
  summary?: string;
  title?: string;
  name?: string;
  userSays?: string[];
}

export function transcription(options: TranscriptionOptions = {}) {
  const conversationId = options.conversationId ?? 'conv_001';
  const turns = [
    { role: 'agent', message: 'Hello! How can I help you today?', time_in_call_secs: 0 },
    ...(options.userSays ?? ['I would like to check on my order.']).map((message, i) => ({
      role: 'user',
      message,
      time_in_call_secs: 2 + i * 3,
    })),
    { role: 'agent', message: null, time_in_call_secs: 20, tool_calls: [] },
    { role: 'agent', message: 'Done. Anything else?', time_in_call_secs: 21 },
  ];
  const variables: Record<string, unknown> = { system__conversation_id: conversationId };
  if (options.callerId !== null) variables.system__caller_id = options.callerId ?? '+15550000001';
  return {
    type: 'post_call_transcription',
    event_timestamp: options.eventTimestamp ?? 1767225600,
    data: {
      agent_id: options.agentId ?? 'agent_test',
      conversation_id: conversationId,
      status: 'done',
      transcript: turns,
      metadata: { start_time_unix_secs: 1767225500, call_duration_secs: 60 },
      analysis: {
        call_successful: 'success',
        transcript_summary: options.summary ?? 'The caller asked about the delivery date of order 1234.',
        call_summary_title: options.title ?? 'Order delivery date',
        data_collection_results: options.name
          ? { caller_name: { data_collection_id: 'caller_name', value: options.name, rationale: 'said so' } }
          : {},
      },
      conversation_initiation_client_data: { dynamic_variables: variables },
    },
  };
}

export function audio(conversationId = 'conv_001', agentId = 'agent_test', mp3 = 'SUQzBAAAAAAA') {
  return {
    type: 'post_call_audio',
    event_timestamp: 1767225601,
    data: { agent_id: agentId, conversation_id: conversationId, full_audio: mp3 },
  };
}

export function initiationFailure(conversationId = 'conv_fail', agentId = 'agent_test') {
  return {
    type: 'call_initiation_failure',
    event_timestamp: 1767225602,
    data: {
      agent_id: agentId,
      conversation_id: conversationId,
      failure_reason: 'busy',
      metadata: {
        type: 'sip',
        body: { from_number: '+15550000009', to_number: '+15550000010', sip_status_code: 486 },
      },
    },
  };
}
