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

  /** A header that passes the format and time checks; its digest is wrong, which the body read precedes. */
  const fresh = () => ({
    'elevenlabs-signature': `t=${Math.floor(app.clock.now() / 1000)},v0=${'0'.repeat(64)}`,
  });

  it('answers 413 to a 2 MB stream against a 1 MB limit without reading it whole', async () => {
    const { stream, state } = lazyBody(2 * MB);
    const response = await app.post('/webhooks/post-call', stream, fresh());
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ detail: 'Payload too large' });
    // The limit plus the few chunks the stream machinery reads ahead, far from the whole 2 MB.
    expect(state.pulled).toBeLessThanOrEqual(1 * MB + 4 * CHUNK);
    expect(state.cancelled).toBe(true);
  });

  it('answers 401 to an unsigned or stale stream without reading its body', async () => {
    const cases: Record<string, string>[] = [
      {},
      { 'elevenlabs-signature': 't=1,v0=00' },
      { 'elevenlabs-signature': 'junk' },
    ];
    for (const headers of cases) {
      const { stream, state } = lazyBody(2 * MB);
      const response = await app.post('/webhooks/post-call', stream, headers);
      expect(response.status).toBe(401);
      // Nothing but what the stream machinery may pull on its own before anyone reads.
      expect(state.pulled).toBeLessThanOrEqual(2 * CHUNK);
    }
  });

  it('narrows the limit to the type named first in the body while reading', async () => {
    const small = await signedCore({
      secrets: ['wsec_limit_test_secret_0123456789'],
      maxPayloadSize: 1 * MB,
      maxTranscriptionPayloadSize: 1 * MB,
      maxAudioPayloadSize: 4 * MB,
      maxFailurePayloadSize: 200,
    });
    try {
      const head = new TextEncoder().encode('{"type":"call_initiation_failure","data":{"pad":"');
      let pulled = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled += pulled === 0 ? head.byteLength : CHUNK;
          controller.enqueue(pulled === head.byteLength ? head : new Uint8Array(CHUNK).fill(0x61));
          if (pulled > 3 * MB) controller.close();
        },
      });
      const seconds = Math.floor(small.clock.now() / 1000);
      const response = await small.post('/webhooks/post-call', stream, {
        'elevenlabs-signature': `t=${seconds},v0=${'0'.repeat(64)}`,
      });
      expect(response.status).toBe(413);
      // A failure's limit is 200 bytes: the read stops within a few chunks, not at the audio limit.
      expect(pulled).toBeLessThanOrEqual(head.byteLength + 4 * CHUNK);
    } finally {
      await small.core.stop();
    }
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
