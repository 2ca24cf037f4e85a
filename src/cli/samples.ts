/** Realistic sample requests for `elaoms send`: the shapes ElevenLabs really sends. */

export const SAMPLE_CALLER = '+15550100100';
export const SAMPLE_AGENT = 'agent_sample';

export function samplePostCall(nowSec: number): Record<string, unknown> {
  const conversationId = `conv_sample_${nowSec}`;
  return {
    type: 'post_call_transcription',
    event_timestamp: nowSec,
    data: {
      agent_id: SAMPLE_AGENT,
      conversation_id: conversationId,
      status: 'done',
      transcript: [
        {
          role: 'agent',
          message: 'Hi, thanks for calling Bella Cucina. How can I help?',
          time_in_call_secs: 0,
        },
        {
          role: 'user',
          message: 'Hi, I would like to book a table for two on Friday at 7.',
          time_in_call_secs: 3,
        },
        { role: 'agent', message: 'Friday at 7 for two, done. Any dietary needs?', time_in_call_secs: 8 },
        { role: 'user', message: 'My wife is vegetarian, and it is our anniversary.', time_in_call_secs: 12 },
      ],
      metadata: { start_time_unix_secs: nowSec - 60, call_duration_secs: 45 },
      analysis: {
        call_successful: 'success',
        transcript_summary:
          'The caller booked a table for two on Friday at 7 for their anniversary; his wife is vegetarian.',
        data_collection_results: {
          party_size: { value: 2, rationale: 'Table for two.' },
        },
      },
      conversation_initiation_client_data: {
        dynamic_variables: { system__caller_id: SAMPLE_CALLER, system__called_number: '+15550199999' },
      },
    },
  };
}

export function sampleClientData(): Record<string, unknown> {
  return {
    caller_id: SAMPLE_CALLER,
    agent_id: SAMPLE_AGENT,
    called_number: '+15550199999',
    call_sid: 'CA_sample',
  };
}

export function sampleSearch(): Record<string, unknown> {
  return { query: 'anniversary dinner booking', user_id: SAMPLE_CALLER, limit: 5 };
}
