/** Body limits (CONF-2.3): enforced while reading, then per event type once the verified JSON is known. */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type SignedCore, signedBody, signedCore } from './helpers.ts';

const MB = 1024 * 1024;
const CHUNK = 64 * 1024;

/** A 2 MB body produced chunk by chunk, counting what the server pulled. */
function lazyBody(total: number) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled >= total) return controller.close();
      state.pulled += CHUNK;
      controller.enqueue(new Uint8Array(CHUNK).fill(0x61));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

describe('hmac-auth body limits', () => {
  let app: SignedCore;
  beforeAll(async () => {
    app = await signedCore({
      secrets: ['wsec_limit_test_secret_0123456789'],
      maxPayloadSize: 1 * MB,
      maxTranscriptionPayloadSize: 1 * MB,
      maxAudioPayloadSize: 1 * MB,
      maxFailurePayloadSize: 200,
    });
  });
  afterAll(() => app.core.stop());

  it('answers 413 to a 2 MB stream against a 1 MB limit without reading it whole', async () => {
    const { stream, state } = lazyBody(2 * MB);
    const response = await app.post('/webhooks/post-call', stream, { 'elevenlabs-signature': 't=1,v0=00' });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ detail: 'Payload too large' });
    // The limit plus the few chunks the stream machinery reads ahead, far from the whole 2 MB.
    expect(state.pulled).toBeLessThanOrEqual(1 * MB + 4 * CHUNK);
    expect(state.cancelled).toBe(true);
  });

  it('refuses a declared content-length over the limit before reading', async () => {
    const { stream, state } = lazyBody(2 * MB);
    const response = await app.post('/webhooks/audio', stream, { 'content-length': String(2 * MB) });
    expect(response.status).toBe(413);
    expect(state.pulled).toBeLessThanOrEqual(2 * CHUNK);
  });

  it('applies the limit of the event type once the verified JSON says it', async () => {
    const secret = 'wsec_limit_test_secret_0123456789';
    const pad = 'x'.repeat(300);
    const failure = await signedBody(
      { type: 'call_initiation_failure', data: { conversation_id: pad } },
      undefined,
      secret,
    );
    const r1 = await app.post('/webhooks/post-call', failure.text, {
      'elevenlabs-signature': failure.header,
    });
    expect(r1.status).toBe(413);
    const transcript = await signedBody(
      { type: 'post_call_transcription', data: { conversation_id: pad } },
      undefined,
      secret,
    );
    const r2 = await app.post('/webhooks/post-call', transcript.text, {
      'elevenlabs-signature': transcript.header,
    });
    expect(r2.status).toBe(200);
  });
});
