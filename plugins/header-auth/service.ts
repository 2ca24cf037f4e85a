/**
 * API-key checks for the tool and client-data webhooks and the admin routes: the key from
 * `Authorization: Bearer` or `x-api-key`, compared in constant time with the configured keys.
 */
import { Counter, type Registry } from 'prom-client';
import type { EventBus } from '../../src/events.ts';
import { HttpError } from '../../src/http/errors.ts';
import { noteCaller, requestIdOf } from '../../src/http/request-context.ts';
import { currentRequestId, type Logger } from '../../src/log.ts';
import { metric } from '../../src/metrics.ts';
import type { HeaderAuthConfig } from './config.ts';
import { findKey, type KeyEntry, parseKeys, presentedKey } from './keys.ts';
import type { Caller, HeaderAuthService, KeyScope } from './types.ts';

/** The setting that holds each scope's keys. */
export const KEY_SETTINGS: Record<KeyScope, string> = {
  webhook: 'WEBHOOK_API_KEYS',
  admin: 'ADMIN_API_KEYS',
};

/** Dependencies of {@link createHeaderAuthService}. */
export interface HeaderAuthDeps {
  config: HeaderAuthConfig;
  logger: Logger;
  events: EventBus;
  metrics: Registry;
  clientIp(request: Request): string;
}

/** The full service: the public contract plus the checks the macro runs. */
export interface HeaderAuthServiceImpl extends HeaderAuthService {
  /** Authenticates, logs, counts and reports; returns the caller or the error to answer with. */
  check(request: Request, scope: KeyScope): Caller | HttpError;
  /** The caller a request was authenticated as (set by `check`). */
  callerOf(request: Request): Caller | undefined;
}

function keyMetrics(registry: Registry) {
  return metric(
    registry,
    'header-auth',
    () =>
      new Counter({
        name: 'elaoms_api_key_checks_total',
        help: 'API-key checks by scope and result (valid, missing, invalid)',
        labelNames: ['scope', 'result'],
        registers: [registry],
      }),
  );
}

/** Builds the service; bad key lists throw at boot, naming the setting. */
export function createHeaderAuthService(deps: HeaderAuthDeps): HeaderAuthServiceImpl {
  const { logger, events } = deps;
  const counter = keyMetrics(deps.metrics);
  const keys: Record<KeyScope, KeyEntry[]> = {
    webhook: parseKeys(deps.config.webhookKeys, 'webhook', KEY_SETTINGS.webhook),
    admin: parseKeys(deps.config.adminKeys, 'admin', KEY_SETTINGS.admin),
  };
  const challenge = `Bearer realm="${deps.config.realm}"`;
  const callers = new WeakMap<Request, Caller>();

  function authenticate(request: Request, scope: KeyScope): Caller | null {
    const presented = presentedKey(request);
    const entry = presented === null ? null : findKey(keys[scope], presented);
    return entry ? { name: entry.name, scope } : null;
  }

  function check(request: Request, scope: KeyScope): Caller | HttpError {
    if (!keys[scope].length) return new HttpError(503, `${KEY_SETTINGS[scope]} is not configured`);
    const caller = authenticate(request, scope);
    const ip = deps.clientIp(request);
    const requestId = currentRequestId() ?? requestIdOf(request);
    const scopeFields = currentRequestId() ? {} : { request_id: requestId };
    if (caller) {
      counter.inc({ scope, result: 'valid' });
      callers.set(request, caller);
      noteCaller(request, caller.name);
      logger.debug({ ...scopeFields, client_ip: ip, caller: caller.name, scope }, 'api key accepted');
      return caller;
    }
    const reason = presentedKey(request) === null ? 'missing' : 'invalid';
    counter.inc({ scope, result: reason });
    logger.warn({ ...scopeFields, client_ip: ip, scope, result: reason }, 'api key rejected');
    events.emit('auth.failure', { ip, kind: 'api-key', reason, requestId });
    return new HttpError(401, 'Invalid authentication', {
      'www-authenticate': reason === 'missing' ? challenge : `${challenge}, error="invalid_token"`,
    });
  }

  function identify(request: Request): Caller | 'invalid' | null {
    const presented = presentedKey(request);
    if (presented === null) return null;
    for (const scope of ['webhook', 'admin'] as const) {
      const entry = findKey(keys[scope], presented);
      if (entry) return { name: entry.name, scope };
    }
    return 'invalid';
  }

  return {
    authenticate,
    identify,
    configured: (scope) => keys[scope].length > 0,
    check,
    callerOf: (request) => callers.get(request),
  };
}
