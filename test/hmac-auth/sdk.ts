/**
 * Runs the official SDK's verifier (`@elevenlabs/elevenlabs-js` 2.73.0,
 * `client.webhooks.constructEvent(rawBody: string, sigHeader: string, secret: string)`) and maps
 * its result onto our outcome names, so the two can be compared.
 */
import { ElevenLabsClient, ElevenLabsError } from '@elevenlabs/elevenlabs-js';
import type { RejectReason } from '../../plugins/hmac-auth/verify.ts';

/** 'ok' or a reject reason. */
export type Outcome = 'ok' | RejectReason;

/** First line of each SDK error message, and the reason of ours it corresponds to. */
const SDK_MESSAGES: Record<string, Outcome> = {
  'Missing signature header': 'missing',
  'No signature hash found with expected scheme v0': 'format',
  'Timestamp outside the tolerance zone': 'too_old',
  'Signature hash does not match the expected signature hash for payload': 'mismatch',
};

let client: ElevenLabsClient | null = null;

/**
 * The SDK's outcome. It reads the clock itself (`Date.now()`), so callers keep timestamps well
 * away from the window edges. A `SyntaxError` means the signature passed and only `JSON.parse`
 * of the body failed, which counts as 'ok' for signature purposes.
 */
export async function sdkOutcome(rawBody: string, header: string | null, secret: string): Promise<Outcome> {
  // The constructor insists on an API key even though constructEvent never uses it.
  client ??= new ElevenLabsClient({ apiKey: 'unused-for-webhook-verification' });
  try {
    await client.webhooks.constructEvent(rawBody, header as string, secret);
    return 'ok';
  } catch (error) {
    if (error instanceof SyntaxError) return 'ok';
    if (error instanceof ElevenLabsError) {
      const outcome = SDK_MESSAGES[error.message.split('\n')[0]];
      if (outcome) return outcome;
    }
    throw error;
  }
}
