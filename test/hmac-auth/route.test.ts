/** The macro on a real route: every 401 message, replay, one changed byte, 400/422 only after a valid signature. */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { memoryDestination } from '../../src/log.ts';
import { NOW_SEC, SECRET, type SignedCore, signedBody, signedCore, TRANSCRIPT } from './helpers.ts';

describe('hmac-auth on a route', () => {
  let app: SignedCore;
  beforeAll(async () => {
    app = await signedCore();
  });
  afterAll(() => app.core.stop());

  async function detail(response: Response) {
    return { status: response.status, body: await response.json() };
  }

  it('accepts a valid signature; the handler gets the JSON, the raw bytes and a still readable request', async () => {
    const { text, header } = await signedBody(TRANSCRIPT);
    const response = await app.post('/webhooks/post-call', text, { 'elevenlabs-signature': header });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.type).toBe('post_call_transcription');
    expect(body.raw_bytes).toBe(text.length);
    expect(body.handler_text).toBe(text);
  });

  it('reaches every 401 message', async () => {
    const { text, header } = await signedBody(TRANSCRIPT);
    const sig = (h: string) => ({ 'elevenlabs-signature': h });
    const flipped = header.slice(0, -1) + (header.endsWith('0') ? '1' : '0');
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'Missing signature header'],
      [sig('garbage'), 'Invalid signature format'],
      [sig(header.replace(`t=${NOW_SEC}`, 't=abc')), 'Invalid signature format'],
      [sig((await signedBody(TRANSCRIPT, NOW_SEC - 1801)).header), 'Timestamp too old'],
      [sig((await signedBody(TRANSCRIPT, NOW_SEC + 301)).header), 'Timestamp too far in the future'],
      [sig(flipped), 'Invalid signature'],
    ];
    for (const [headers, message] of cases) {
      expect(await detail(await app.post('/webhooks/post-call', text, headers))).toEqual({
        status: 401,
        body: { detail: message },
      });
    }
  });

  it('refuses a captured valid request replayed after the tolerance', async () => {
    const { text, header } = await signedBody(TRANSCRIPT);
    expect((await app.post('/webhooks/post-call', text, { 'elevenlabs-signature': header })).status).toBe(
      200,
    );
    app.clock.advance(1801 * 1000);
    try {
      const replay = await app.post('/webhooks/post-call', text, { 'elevenlabs-signature': header });
      expect(await detail(replay)).toEqual({ status: 401, body: { detail: 'Timestamp too old' } });
    } finally {
      app.clock.advance(-1801 * 1000);
    }
  });

  it('refuses the body with one byte changed', async () => {
    const { text, header } = await signedBody(TRANSCRIPT);
    const changed = text.replace('c1', 'c2');
    const response = await app.post('/webhooks/post-call', changed, { 'elevenlabs-signature': header });
    expect(await detail(response)).toEqual({ status: 401, body: { detail: 'Invalid signature' } });
  });

  it('answers 401, not 400 or 422, to a bad signature on a body that is not JSON or fails the schema', async () => {
    const forged = `t=${NOW_SEC},v0=${'ab'.repeat(32)}`;
    for (const body of ['{"type":', '{"type":1}', '\u0000\u00ff']) {
      const response = await app.post('/webhooks/post-call', body, { 'elevenlabs-signature': forged });
      expect(response.status).toBe(401);
    }
  });

  it('answers 400 to a validly signed body that is not JSON, and 422 to one that fails the schema', async () => {
    const notJson = await signedBody('{"type":');
    const r400 = await app.post('/webhooks/post-call', notJson.text, {
      'elevenlabs-signature': notJson.header,
    });
    expect(await detail(r400)).toEqual({ status: 400, body: { detail: 'Invalid JSON payload' } });
    const wrong = await signedBody({ type: 'post_call_transcription', data: {} });
    const r422 = await app.post('/webhooks/post-call', wrong.text, { 'elevenlabs-signature': wrong.header });
    expect(r422.status).toBe(422);
  });

  it('accepts whitespace around parts and any one of several v0 entries', async () => {
    const { text, header } = await signedBody(TRANSCRIPT);
    const [t, v0] = header.split(',');
    const spaced = ` ${t} , v0=${'0'.repeat(64)} ,  ${v0} `;
    const response = await app.post('/webhooks/post-call', text, { 'elevenlabs-signature': spaced });
    expect(response.status).toBe(200);
  });

  it('logs each check with age, result and client IP, never the signature or the secret', async () => {
    const { text, header } = await signedBody(TRANSCRIPT, NOW_SEC - 12);
    await app.post('/webhooks/post-call', text, { 'elevenlabs-signature': header });
    const line = app.logs.findLast((l) => l.msg === 'webhook signature valid')!;
    expect(line).toMatchObject({
      result: 'valid',
      timestamp_age_s: 12,
      client_ip: 'unknown',
      secret_index: 0,
    });
    expect(typeof line.request_id).toBe('string');
    const all = JSON.stringify(app.logs);
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(header.split('v0=')[1]);
  });

  it('logs the timestamp age of a refused signature too', async () => {
    const stale = await signedBody(TRANSCRIPT, NOW_SEC - 3600);
    await app.post('/webhooks/post-call', stale.text, { 'elevenlabs-signature': stale.header });
    expect(app.logs.findLast((l) => l.msg === 'webhook signature rejected')).toMatchObject({
      result: 'too_old',
      timestamp_age_s: 3600,
    });
    const forged = await signedBody(TRANSCRIPT, NOW_SEC - 5, 'wsec_not_the_secret_000000');
    await app.post('/webhooks/post-call', forged.text, { 'elevenlabs-signature': forged.header });
    expect(app.logs.findLast((l) => l.msg === 'webhook signature rejected')).toMatchObject({
      result: 'mismatch',
      timestamp_age_s: 5,
      bytes: forged.text.length,
    });
  });
});

describe('hmac-auth secrets', () => {
  it('accepts either secret of a rotation and says which one matched', async () => {
    const app = await signedCore({ secrets: ['wsec_old_secret_0123456789', SECRET] });
    const { text, header } = await signedBody(TRANSCRIPT);
    expect((await app.post('/webhooks/post-call', text, { 'elevenlabs-signature': header })).status).toBe(
      200,
    );
    expect(app.logs.findLast((l) => l.msg === 'webhook signature valid')?.secret_index).toBe(1);
    await app.core.stop();
  });

  it('reads a comma-separated ELEVENLABS_WEBHOOK_SECRET', async () => {
    const { hmacAuthPlugin } = await import('../../plugins/hmac-auth/index.ts');
    const { createCore } = await import('../../src/core.ts');
    const core = await createCore({
      plugins: [hmacAuthPlugin],
      config: { database: { path: ':memory:' } },
      env: { ELEVENLABS_WEBHOOK_SECRET: 'wsec_a_0123456789abcdef, wsec_b_0123456789abcdef' },
      logDestination: memoryDestination(),
    });
    expect(core.config.hmacAuth.secrets).toEqual(['wsec_a_0123456789abcdef', 'wsec_b_0123456789abcdef']);
    await core.stop();
  });

  it('answers 503 naming the setting when no secret is configured, and says so at start', async () => {
    const app = await signedCore({});
    const { text, header } = await signedBody(TRANSCRIPT);
    const response = await app.post('/webhooks/post-call', text, { 'elevenlabs-signature': header });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ detail: 'ELEVENLABS_WEBHOOK_SECRET is not configured' });
    expect(app.core.notices.join('\n')).toContain('ELEVENLABS_WEBHOOK_SECRET');
    expect((await app.post('/open', '{}')).status).toBe(200);
    await app.core.stop();
  });
});
