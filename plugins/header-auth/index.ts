/**
 * header-auth: API keys on routes that opt in with `{ apiKey: 'webhook' }` (WEBHOOK_API_KEYS) or
 * `{ apiKey: 'admin' }` (ADMIN_API_KEYS). The check runs in the route's parse step, so the body of
 * an unauthenticated request is never parsed, and the refusal is thrown in transform (before
 * schema validation): 401 `Invalid authentication` with `WWW-Authenticate`, or 503 naming the
 * setting when no key is configured. The handler gets `caller: { name, scope }`.
 */
import { Elysia } from 'elysia';
import { type EmbedOptions, embed } from '../../src/embed.ts';
import type { HttpError } from '../../src/http/errors.ts';
import { definePlugin } from '../../src/plugin.ts';
import { HeaderAuthConfig } from './config.ts';
import { createHeaderAuthService, type HeaderAuthServiceImpl, KEY_SETTINGS } from './service.ts';
import type { Caller, KeyScope } from './types.ts';

export { HeaderAuthConfig } from './config.ts';
export { presentedKey } from './keys.ts';
export { type HeaderAuthServiceImpl, KEY_SETTINGS } from './service.ts';
export type * from './types.ts';

/** The Elysia instance: the `apiKey` macro, backed by `service`. */
export function headerAuthApp(service: HeaderAuthServiceImpl, seed: unknown = null) {
  const results = new WeakMap<Request, Caller | HttpError>();

  function resultOf(request: Request, scope: KeyScope): Caller | HttpError {
    let result = results.get(request);
    if (!result) {
      result = service.check(request, scope);
      results.set(request, result);
    }
    return result;
  }

  return new Elysia({ name: 'elaoms/header-auth', seed }).macro({
    apiKey(scope: KeyScope | false) {
      if (!scope) return {};
      return {
        parse({ request }: { request: Request }) {
          // Authenticated: fall through to the normal parser. Not: skip parsing, transform answers.
          return resultOf(request, scope) instanceof Error ? null : undefined;
        },
        transform({ request }: { request: Request }) {
          const result = resultOf(request, scope);
          if (result instanceof Error) throw result;
        },
        resolve({ request }: { request: Request }) {
          const result = resultOf(request, scope);
          if (result instanceof Error) throw result;
          return { caller: result };
        },
      };
    },
  });
}

/** The header-auth plugin definition. */
export const headerAuthPlugin = definePlugin({
  name: 'header-auth',
  configKey: 'headerAuth',
  envPrefix: 'HEADER_AUTH',
  schema: HeaderAuthConfig,
  create(ctx) {
    const service = createHeaderAuthService({
      config: ctx.config,
      logger: ctx.logger,
      events: ctx.events,
      metrics: ctx.metrics,
      clientIp: ctx.clientIp,
    });
    return {
      app: headerAuthApp(service, ctx.config.realm),
      service,
      notices: () =>
        (['webhook', 'admin'] as const)
          .filter((scope) => !service.configured(scope))
          .map(
            (scope) => `header-auth: ${KEY_SETTINGS[scope]} is not configured; ${scope} routes answer 503`,
          ),
    };
  },
});

/** header-auth alone, to `.use()` in a host app: routes then opt in with `{ apiKey: 'admin' }`. */
export async function headerAuth(options: EmbedOptions = {}) {
  return (await embed([headerAuthPlugin], options)).app;
}
