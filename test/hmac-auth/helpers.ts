/** A real core with hmac-auth and a post-call style route that opts in with the macro. */
import { Type } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import { hmacAuthPlugin } from '../../plugins/hmac-auth/index.ts';
import { sign } from '../../plugins/hmac-auth/verify.ts';
import { manualClock } from '../../src/clock.ts';
import { type Core, createCore } from '../../src/core.ts';
import { memoryDestination } from '../../src/log.ts';
import { definePlugin } from '../../src/plugin.ts';

export const SECRET = 'wsec_route_test_secret_0123456789';
export const NOW = Date.UTC(2026, 0, 1, 12);
export const NOW_SEC = NOW / 1000;

/** A plugin that mounts signed routes the way agent-memory will. */
const routesPlugin = definePlugin({
  name: 'signed-routes',
  configKey: 'signedRoutes',
  envPrefix: 'SIGNED_ROUTES',
  needs: ['hmac-auth'],
  schema: Type.Object({}),
  create(ctx) {
    const app = new Elysia({ name: 'signed-routes' })
      .use(ctx.app('hmac-auth'))
      .post(
        '/webhooks/post-call',
        async ({ body, signed, request }: any) => ({
          type: body.type,
          raw_bytes: signed.raw.byteLength,
          age: signed.ageSeconds,
          quarantine_id: signed.quarantineId,
          handler_text: await request.text(),
        }),
        {
          elevenlabsSignature: true,
          body: t.Object({ type: t.String(), data: t.Object({ conversation_id: t.String() }) }),
        } as any,
      )
      .post('/webhooks/audio', ({ signed }: any) => ({ raw_bytes: signed.raw.byteLength }), {
        elevenlabsSignature: { limit: 'audio' },
      } as any)
      .post('/open', () => ({ open: true }));
    return { app };
  },
});

export interface SignedCore {
  core: Core;
  logs: Array<Record<string, any>>;
  clock: ReturnType<typeof manualClock>;
  post(path: string, body: string | BodyInit, headers?: Record<string, string>): Promise<Response>;
}

export async function signedCore(hmacAuth: Record<string, unknown> = { secrets: [SECRET] }, extra = {}) {
  const destination = memoryDestination();
  const clock = manualClock(NOW);
  const core = await createCore({
    plugins: [hmacAuthPlugin, routesPlugin],
    config: { database: { path: ':memory:' }, hmacAuth, ...extra },
    env: {},
    logDestination: destination,
    clock,
  });
  const post = (path: string, body: string | BodyInit, headers: Record<string, string> = {}) =>
    core.handle(
      new Request(`http://localhost${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        // @ts-expect-error duplex is needed for stream bodies and unknown to the DOM types
        duplex: 'half',
      }),
    );
  return { core, logs: destination.lines, clock, post } satisfies SignedCore;
}

/** A post-call body and its signature header at `t` (default: now). */
export async function signedBody(body: unknown, t = NOW_SEC, secret = SECRET) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { text, header: await sign(secret, new TextEncoder().encode(text), t) };
}

export const TRANSCRIPT = { type: 'post_call_transcription', data: { conversation_id: 'c1' } };
