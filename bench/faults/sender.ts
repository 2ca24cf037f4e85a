/**
 * The post-calls of the fault run: small signed transcriptions with varied words (so OpenMemory's
 * near-duplicate merge does not fold them together), sent with a fixed concurrency. A request that
 * fails (connection refused while the service restarts, 5xx) is sent again with the same bytes,
 * as ElevenLabs would: the body is the dedup key, the signature is fresh.
 */
import { sign } from '../../plugins/hmac-auth/verify.ts';
import { sleep } from './util.ts';

const WORDS = (
  'apple anchor badge bakery basket beacon blanket boiler bottle bridge bucket cabin camera candle ' +
  'canyon carpet castle cellar cement chapel cherry cliff clock cobalt copper cotton crystal dagger ' +
  'desert dinner dolphin donkey dragon drawer eagle engine falcon fabric fender ferry fiddle flannel ' +
  'forest fossil fountain garage garden garlic ginger glacier goblet granite gravel guitar hammer ' +
  'harbor helmet hockey honey horizon island ivory jacket jungle kettle kitten ladder lagoon lantern ' +
  'lemon lizard locket magnet mango marble meadow mirror monkey mortar muffin napkin needle nickel ' +
  'oyster paddle palace pepper pillow pirate planet pocket potato pudding puzzle quartz rabbit radar ' +
  'raven ribbon rocket saddle salmon sandal saucer scooter shovel silver sketch socket spider sponge ' +
  'statue strawberry summit tablet teapot tennis thunder ticket timber tomato tractor trumpet tunnel ' +
  'turtle umbrella valley velvet violin walnut wagon window winter wizard yogurt zebra zipper'
).split(' ');

/** A small deterministic PRNG so a run's bodies can be rebuilt from their index. */
function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

function phrase(random: () => number, words: number): string {
  return Array.from({ length: words }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
}

export function conversationId(run: string, i: number): string {
  return `conv_${run}_${i}`;
}

/** A post_call_transcription of a few turns, unique per `i`. */
export function postCallBody(run: string, i: number, callers: number): Uint8Array {
  const random = prng(i * 7919 + 17);
  const transcript = Array.from({ length: 6 }, (_, t) => ({
    role: t % 2 ? 'user' : 'agent',
    message: `${phrase(random, 12 + Math.floor(random() * 14))} number ${i}-${t}.`,
    time_in_call_secs: t * 7,
  }));
  const body = {
    type: 'post_call_transcription',
    event_timestamp: Math.floor(Date.now() / 1000),
    data: {
      agent_id: 'agent_faults',
      conversation_id: conversationId(run, i),
      status: 'done',
      transcript,
      metadata: { start_time_unix_secs: Math.floor(Date.now() / 1000) - 60, call_duration_secs: 42 },
      analysis: {
        call_successful: 'success',
        transcript_summary: `Call ${i}: the caller talked about the ${phrase(random, 6)}.`,
        call_summary_title: `About the ${phrase(random, 2)}`,
        data_collection_results: {
          topic: { data_collection_id: 'topic', value: phrase(random, 3), rationale: 'said so' },
        },
      },
      conversation_initiation_client_data: {
        dynamic_variables: { system__caller_id: `+1555${String(i % callers).padStart(7, '0')}` },
      },
    },
  };
  return new TextEncoder().encode(JSON.stringify(body));
}

export interface SendResult {
  /** Index of the post-call. */
  i: number;
  acknowledged: boolean;
  /** The `status` field of the 200 answer: received, queued, dead_letter. */
  answer?: string;
  attempts: number;
  /** Attempts that failed to connect or timed out, and non-200 answers by status. */
  networkErrors: number;
  statuses: Record<string, number>;
}

/** Sends one post-call until it is answered 200 or `giveUpMs` passed. */
export async function sendOne(
  url: string,
  secret: string,
  body: Uint8Array,
  i: number,
  giveUpMs: number,
): Promise<SendResult> {
  const result: SendResult = { i, acknowledged: false, attempts: 0, networkErrors: 0, statuses: {} };
  const deadline = Date.now() + giveUpMs;
  while (Date.now() < deadline) {
    result.attempts += 1;
    try {
      const response = await fetch(`${url}/webhooks/post-call`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'elevenlabs-signature': await sign(secret, body, Math.floor(Date.now() / 1000)),
        },
        body: body as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      if (response.status === 200) {
        result.acknowledged = true;
        result.answer = (JSON.parse(text) as { status?: string }).status;
        return result;
      }
      result.statuses[response.status] = (result.statuses[response.status] ?? 0) + 1;
    } catch {
      result.networkErrors += 1;
    }
    await sleep(200);
  }
  return result;
}

/** Runs `count` sends with `concurrency` in flight; `onDone` sees the number finished so far. */
export async function sendAll(
  count: number,
  concurrency: number,
  send: (i: number) => Promise<SendResult>,
  onDone: (finished: number) => void,
): Promise<SendResult[]> {
  const results: SendResult[] = [];
  let next = 0;
  async function lane() {
    while (next < count) {
      const i = next++;
      results.push(await send(i));
      onDone(results.length);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  return results.sort((a, b) => a.i - b.i);
}
