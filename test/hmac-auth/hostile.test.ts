/** Hostile signature headers get 401, never 500 (TEST-4). */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { NOW_SEC, type SignedCore, signedBody, signedCore, TRANSCRIPT } from './helpers.ts';

describe('hmac-auth with hostile headers', () => {
  let app: SignedCore;
  beforeAll(async () => {
    app = await signedCore();
  });
  afterAll(() => app.core.stop());

  const cases: Array<[string, () => Headers | Promise<Headers>]> = [
    ['a 64 KB header', () => new Headers({ 'elevenlabs-signature': `t=${NOW_SEC},v0=${'a'.repeat(65536)}` })],
    ['thousands of parts', () => new Headers({ 'elevenlabs-signature': 'v0=1,'.repeat(5000) })],
    ['Latin-1 bytes', () => new Headers({ 'elevenlabs-signature': `t=${NOW_SEC},v0=\u00ff\u00fe\u00e9` })],
    ['a huge t', () => new Headers({ 'elevenlabs-signature': `t=${'9'.repeat(400)},v0=${'a'.repeat(64)}` })],
    [
      'the header repeated',
      async () => {
        const { header } = await signedBody(TRANSCRIPT);
        const headers = new Headers();
        headers.append('elevenlabs-signature', header);
        headers.append('elevenlabs-signature', header);
        return headers;
      },
    ],
  ];

  for (const [name, make] of cases) {
    it(`answers 401 to ${name}`, async () => {
      const { text } = await signedBody(TRANSCRIPT);
      const headers = await make();
      headers.set('content-type', 'application/json');
      const response = await app.core.handle(
        new Request('http://localhost/webhooks/post-call', { method: 'POST', headers, body: text }),
      );
      expect(response.status).toBe(401);
      expect(typeof (await response.json()).detail).toBe('string');
    });
  }
});
