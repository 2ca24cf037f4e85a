/** hmac-auth mounted alone in a plain Elysia host that has its own routes. */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { Elysia } from 'elysia';
import { hmacAuthPlugin, sign } from '../../plugins/hmac-auth/index.ts';
import { type Embedded, embed } from '../../src/embed.ts';
import { memoryDestination } from '../../src/log.ts';

const SECRET = 'wsec_standalone_secret_0123456789';

describe('hmac-auth in a host app', () => {
  let host: any;
  let mounted: Embedded;
  beforeAll(async () => {
    mounted = await embed([hmacAuthPlugin], {
      config: { hmacAuth: { secrets: [SECRET] }, database: { path: ':memory:' } },
      logDestination: memoryDestination(),
    });
    host = new Elysia()
      .get('/', () => 'host home')
      .use(mounted.app)
      .post('/hooks/eleven', ({ body, signed }: any) => ({ got: body, bytes: signed.raw.byteLength }), {
        elevenlabsSignature: true,
      } as any);
  });
  afterAll(() => mounted.stop());

  const post = (body: string, signature?: string) =>
    host.handle(
      new Request('http://localhost/hooks/eleven', {
        method: 'POST',
        headers: signature ? { 'elevenlabs-signature': signature } : {},
        body,
      }),
    );

  it('keeps the host route working', async () => {
    expect(await (await host.handle(new Request('http://localhost/'))).text()).toBe('host home');
  });

  it('verifies the host route that opts in', async () => {
    const body = '{"type":"post_call_transcription","data":{}}';
    const header = await sign(SECRET, new TextEncoder().encode(body), Math.floor(Date.now() / 1000));
    const ok = await post(body, header);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ got: JSON.parse(body), bytes: body.length });
    const missing = await post(body);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ detail: 'Missing signature header' });
  });
});
