/**
 * hmac-auth: ElevenLabs webhook signatures on any route that opts in with the macro
 * `{ elevenlabsSignature: true }` (or `{ elevenlabsSignature: { limit: 'audio' } }`).
 *
 * The body is read raw in the route's parse step (thrown errors there would become 400, so the
 * verdict is kept) and the request is refused in transform, which runs before schema validation:
 * a bad signature is 401 even when the body is not JSON or fails the schema. The handler gets the
 * verified JSON as `body` and `signed: { raw, json, timestamp, ageSeconds, quarantineId }`.
 */
import { Elysia } from 'elysia';
import { type EmbedOptions, embed } from '../../src/embed.ts';
import { definePlugin } from '../../src/plugin.ts';
import { HmacAuthConfig } from './config.ts';
import { type CheckResult, createHmacAuthService, type HmacAuthService, SECRET_SETTING } from './service.ts';
import type { LimitKind, SignatureOption, SignedWebhook } from './types.ts';

export { PayloadTooLargeError, readBodyLimited } from './body.ts';
export { HmacAuthConfig } from './config.ts';
export type { CheckResult, HmacAuthService } from './service.ts';
export { SIGNATURE_HEADER } from './service.ts';
export type * from './types.ts';
export { createVerifier, REJECT_DETAILS, type RejectReason, sign, type Verdict } from './verify.ts';

function limitOf(option: SignatureOption): LimitKind {
  return typeof option === 'object' ? (option.limit ?? 'post-call') : 'post-call';
}

/** The Elysia instance: the `elevenlabsSignature` macro, backed by `service`. */
export function hmacAuthApp(service: HmacAuthService, seed: unknown = null) {
  const results = new WeakMap<Request, CheckResult>();

  async function resultOf(request: Request, kind: LimitKind): Promise<CheckResult> {
    let result = results.get(request);
    if (!result) {
      result = await service.check(request, kind);
      results.set(request, result);
    }
    return result;
  }

  return new Elysia({ name: 'elaoms/hmac-auth', seed }).macro({
    elevenlabsSignature(option: SignatureOption) {
      if (option === false) return {};
      const kind = limitOf(option);
      return {
        async parse({ request }: { request: Request }) {
          const result = await resultOf(request, kind);
          // Unverified bytes are never parsed: a refused request's body is null until transform answers.
          return result.ok ? result.signed.json : null;
        },
        async transform({ request }: { request: Request }) {
          const result = await resultOf(request, kind);
          if (!result.ok) throw result.error;
        },
        async resolve({ request }: { request: Request }) {
          const result = await resultOf(request, kind);
          if (!result.ok) throw result.error;
          return { signed: result.signed as SignedWebhook };
        },
      };
    },
  });
}

/** The hmac-auth plugin definition. */
export const hmacAuthPlugin = definePlugin({
  name: 'hmac-auth',
  configKey: 'hmacAuth',
  envPrefix: 'HMAC_AUTH',
  schema: HmacAuthConfig,
  create(ctx) {
    const service = createHmacAuthService({
      config: ctx.config,
      clock: ctx.clock,
      logger: ctx.logger,
      events: ctx.events,
      metrics: ctx.metrics,
      clientIp: ctx.clientIp,
    });
    return {
      app: hmacAuthApp(service, ctx.config),
      service,
      notices: () =>
        service.configured
          ? []
          : [`hmac-auth: ${SECRET_SETTING} is not configured; signed webhook routes answer 503`],
    };
  },
});

/** hmac-auth alone, to `.use()` in a host app: its routes then opt in with `{ elevenlabsSignature: true }`. */
export async function hmacAuth(options: EmbedOptions = {}) {
  return (await embed([hmacAuthPlugin], options)).app;
}
