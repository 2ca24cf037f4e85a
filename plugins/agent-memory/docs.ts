/** OpenAPI examples of the agent-memory routes, as ElevenLabs sends and expects them (API-3, API-4, API-5). */
import { detail, jsonBody, jsonResponses } from '../../src/http/openapi.ts';

const POST_CALL_EXAMPLE = {
  type: 'post_call_transcription',
  event_timestamp: 1763894400,
  data: {
    agent_id: 'agent_456',
    conversation_id: 'conv_123',
    transcript: [
      { role: 'agent', message: 'Hi, how can I help?', time_in_call_secs: 0 },
      { role: 'user', message: 'I would like to book a table for Friday.', time_in_call_secs: 3 },
    ],
    analysis: { transcript_summary: 'The caller booked a table for Friday.' },
    conversation_initiation_client_data: { dynamic_variables: { system__caller_id: '+1234567890' } },
  },
};

export const postCallDocs = {
  ...jsonBody(
    {
      type: 'object',
      required: ['type', 'data'],
      properties: { type: { type: 'string' }, data: { type: 'object' } },
    },
    POST_CALL_EXAMPLE,
    'The post-call webhook as ElevenLabs sends it (post_call_transcription, post_call_audio or call_initiation_failure), signed in ElevenLabs-Signature: t=<unix>,v0=<hex>.',
  ),
  ...jsonResponses({
    200: ['Stored (or queued for delivery, still acknowledged)', { status: 'received', memory_id: '42' }],
    400: ['Not JSON, or not a post-call payload', detail('Invalid JSON payload')],
    401: ['Signature missing, malformed, stale or wrong', detail('Invalid signature')],
    413: ['Body over the limit of its type', detail('Payload too large')],
    500: ['Nothing could be persisted', detail('Failed to store memory')],
    503: ['No webhook secret configured', detail('ELEVENLABS_WEBHOOK_SECRET is not configured')],
  }),
};

export const clientDataExamples = {
  body: {
    caller_id: '+1234567890',
    agent_id: 'agent_456',
    called_number: '+0987654321',
    call_sid: 'CA1234567890',
  },
  responses: jsonResponses({
    200: [
      'Caller context and, when the agent allows it, a personalized first message',
      {
        type: 'conversation_initiation_client_data',
        dynamic_variables: {
          caller_id: '+1234567890',
          called_number: '+0987654321',
          call_sid: 'CA1234567890',
          user_context: 'Last call: booked a table for Friday.',
        },
        conversation_config_override: { agent: { first_message: 'Welcome back! How was Friday’s dinner?' } },
      },
    ],
    400: ['No agent_id', detail('Missing agent_id')],
    401: ['Key missing or wrong', detail('Invalid authentication')],
  }),
};

export const searchExamples = {
  body: { query: 'user preferences', user_id: '+1234567890', limit: 5 },
  responses: jsonResponses({
    200: [
      'Matching memories of this caller',
      {
        status: 'success',
        memories_found: 1,
        context: 'The caller booked a table for Friday.',
        memories: [
          {
            id: '42',
            content: 'The caller booked a table for Friday.',
            metadata: { conversation_id: 'conv_123' },
          },
        ],
      },
    ],
    400: ['No query', detail('Missing query parameter')],
    401: ['Key missing or wrong', detail('Invalid authentication')],
    500: ['The memory backend failed', detail('Failed to search memories')],
  }),
};

export const eraseExamples = jsonResponses({
  200: [
    'What was deleted',
    {
      user_id: '+1234567890',
      memories_deleted: 4,
      events_deleted: 5,
      greetings_deleted: 1,
      files_deleted: 3,
    },
  ],
  401: ['Admin key missing or wrong', detail('Invalid authentication')],
});
