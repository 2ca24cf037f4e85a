import { afterEach, describe, expect, it } from 'bun:test';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sign } from '../../plugins/hmac-auth/index.ts';
import { type Harness, harness, SECRET } from './harness.ts';
import { audio, transcription } from './payloads.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function sidecar(dir: string, of = ''): Promise<Record<string, unknown>> {
  const entries = (await readdir(join(dir, 'webhooks'), { recursive: true })).map(String);
  const name = entries.find((e) => e.endsWith('.metadata.json') && e.includes(of));
  expect(name).toBeDefined();
  return JSON.parse(await readFile(join(dir, 'webhooks', name!), 'utf8'));
}

async function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const raw = new TextEncoder().encode(JSON.stringify(body));
  const signature = await sign(SECRET, raw, Math.floor(Date.now() / 1000));
  return h.request('/webhooks/post-call', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'elevenlabs-signature': signature, ...headers },
    body: raw,
  });
}

describe("the payload file's sidecar names the request that carried it", () => {
  it('records the generated request id when the request had no x-request-id', async () => {
    h = await harness();
    const response = await post(transcription({ conversationId: 'conv_sidecar_none' }));
    expect(response.status).toBe(200);
    const id = response.headers.get('x-request-id');
    expect(id).toBeTruthy();
    expect((await sidecar(h.dir)).request_id).toBe(id);
  });

  it('records the replacement id, not the invalid x-request-id the request sent', async () => {
    h = await harness();
    const response = await post(transcription({ conversationId: 'conv_sidecar_bad' }), {
      'x-request-id': 'not valid; spaces and semicolons',
    });
    expect(response.status).toBe(200);
    const id = response.headers.get('x-request-id');
    expect(id).toBeTruthy();
    expect(id).not.toBe('not valid; spaces and semicolons');
    expect((await sidecar(h.dir)).request_id).toBe(id);
  });

  it('keeps a valid incoming x-request-id', async () => {
    h = await harness();
    const response = await post(transcription({ conversationId: 'conv_sidecar_ok' }), {
      'x-request-id': 'req-from-upstream-42',
    });
    expect(response.headers.get('x-request-id')).toBe('req-from-upstream-42');
    expect((await sidecar(h.dir)).request_id).toBe('req-from-upstream-42');
  });

  it("records the audio request's id on the MP3's sidecar when the transcription came first", async () => {
    h = await harness();
    await post(transcription({ conversationId: 'conv_sidecar_audio' }));
    const response = await post(audio('conv_sidecar_audio'), { 'x-request-id': 'req-audio-after' });
    expect(response.status).toBe(200);
    expect((await sidecar(h.dir, 'post_call_audio')).request_id).toBe('req-audio-after');
  });

  it("records the audio request's id, not the transcription's, when the audio waited for it", async () => {
    h = await harness();
    await post(audio('conv_sidecar_wait'), { 'x-request-id': 'req-audio-first' });
    await post(transcription({ conversationId: 'conv_sidecar_wait' }), { 'x-request-id': 'req-transcript' });
    expect((await sidecar(h.dir, 'post_call_audio')).request_id).toBe('req-audio-first');
    expect((await sidecar(h.dir, 'post_call_transcription')).request_id).toBe('req-transcript');
  });
});
