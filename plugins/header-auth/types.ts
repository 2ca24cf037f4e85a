/**
 * header-auth's public surface. Routes opt in with the macro `{ apiKey: 'webhook' }` (tool and
 * client-data webhooks, keys from WEBHOOK_API_KEYS) or `{ apiKey: 'admin' }` (admin routes,
 * ADMIN_API_KEYS). The handler then gets `caller: { name: string; scope: 'webhook' | 'admin' }`.
 * Keys are accepted as `Authorization: Bearer <key>` or `x-api-key: <key>`.
 */
export type KeyScope = 'webhook' | 'admin';

export interface Caller {
  /** The key's configured name (never the key itself). */
  name: string;
  scope: KeyScope;
}

export interface HeaderAuthService {
  /** Checks a request's key for `scope` in constant time; null when missing or wrong. */
  authenticate(request: Request, scope: KeyScope): Caller | null;
  /** Whether any key is configured for `scope` (none: routes answer 503). */
  configured(scope: KeyScope): boolean;
  /**
   * Who a request says it is, whatever the route (rate limits run before routing): the caller of
   * the configured key it presents (webhook keys first, then admin keys), `'invalid'` when its key
   * matches none, null when it presents no key. Constant time like `authenticate`; logs nothing.
   */
  identify(request: Request): Caller | 'invalid' | null;
}
