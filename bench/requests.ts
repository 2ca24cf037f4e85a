/** The requests the benchmark sends: unique signed post-calls of about 23 KB, searches, client-data. */
import { sign } from '../plugins/hmac-auth/verify.ts';

export const SECRET = 'bench-webhook-secret';
export const TOOL_KEY = 'bench-tool-key';
const encoder = new TextEncoder();

const SENTENCE =
  'I would like to change my booking for Friday evening to a table by the window, and my partner is vegetarian so please note that for the kitchen as well. ';

/** A post_call_transcription with 50 turns (about 23 KB), unique per `i`. */
export function postCallBody(i: number, run: string): Uint8Array {
  const transcript = Array.from({ length: 50 }, (_, t) => ({
    role: t % 2 ? 'user' : 'agent',
    message: `${SENTENCE}${SENTENCE}${SENTENCE.slice(0, 90)} (turn ${t})`,
    time_in_call_secs: t * 6,
  }));
  return encoder.encode(
    JSON.stringify({
      type: 'post_call_transcription',
      event_timestamp: Math.floor(Date.now() / 1000),
      data: {
        agent_id: 'agent_bench',
        conversation_id: `conv_${run}_${i}`,
        status: 'done',
        transcript,
        analysis: {
          transcript_summary: `Caller ${i % 1000} changed a Friday booking; partner is vegetarian.`,
        },
        conversation_initiation_client_data: {
          dynamic_variables: { system__caller_id: `+1555${String(i % 1000).padStart(7, '0')}` },
        },
      },
    }),
  );
}

export async function postCallRequest(i: number, run: string) {
  const body = postCallBody(i, run);
  const signature = await sign(SECRET, body, Math.floor(Date.now() / 1000));
  return {
    path: '/webhooks/post-call',
    method: 'POST',
    headers: { 'content-type': 'application/json', 'elevenlabs-signature': signature },
    body,
  };
}

const QUERIES = [
  'window table booking',
  'vegetarian dinner',
  'birthday party friday',
  'refund invoice',
  'parking',
];

export function searchRequest(i: number) {
  return {
    path: '/webhooks/search-data',
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': TOOL_KEY },
    body: JSON.stringify({
      query: QUERIES[i % QUERIES.length],
      user_id: `+1555${String(i % 1000).padStart(7, '0')}`,
    }),
  };
}

export function clientDataRequest(i: number) {
  return {
    path: '/webhooks/client-data',
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': TOOL_KEY },
    body: JSON.stringify({
      caller_id: `+1555${String(i % 1000).padStart(7, '0')}`,
      agent_id: 'agent_bench',
      called_number: '+15550199999',
      call_sid: `CA${i}`,
    }),
  };
}
