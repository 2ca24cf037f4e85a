/**
 * Runs each request inside `requestScope` so every log line carries its request id,
 * echoes the id in `x-request-id`, and writes one access line when the response is ready (with
 * `caller` when an auth plugin accepted a key, and what the handler added with `annotateRequest`).
 */
import { Elysia } from 'elysia';
import type { Registry } from 'prom-client';
import { type Logger, type RequestScope, requestScope } from '../log.ts';
import { httpMetrics } from '../metrics.ts';

const routeOf = new WeakMap<Request, string>();
const callerOf = new WeakMap<Request, string>();

/**
 * Names the authenticated caller of a request (an API key's name, never the key) for its access
 * line. The auth plugins call it; the core knows no plugin.
 */
export function noteCaller(request: Request, name: string): void {
  callerOf.set(request, name);
}

const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a valid incoming `x-request-id`, else makes one. */
export function requestIdOf(request: Request): string {
  const incoming = request.headers.get('x-request-id');
  return incoming && VALID_ID.test(incoming) ? incoming : crypto.randomUUID();
}

export function requestContext(logger: Logger, clientIp: (request: Request) => string, registry?: Registry) {
  const metrics = registry ? httpMetrics(registry) : undefined;
  return new Elysia({ name: 'elaoms/request-context' })
    .onTransform({ as: 'global' }, function rememberRoute({ request, route }) {
      routeOf.set(request, route);
    })
    .wrap(function withRequestScope(fn: any, request: Request) {
      return (...args: unknown[]) => {
        const requestId = requestIdOf(request);
        const started = performance.now();
        const scope: RequestScope = { requestId };
        return requestScope.run(scope, async () => {
          const response: Response = await fn(...args);
          try {
            response.headers.set('x-request-id', requestId);
          } catch {
            // immutable headers (a fetched Response passed through): leave them
          }
          const url = new URL(request.url);
          const seconds = (performance.now() - started) / 1000;
          const route = routeOf.get(request) ?? 'unmatched';
          metrics?.requests.inc({ method: request.method, route, status: response.status });
          metrics?.duration.observe({ method: request.method, route }, seconds);
          logger.info(
            {
              ...scope.fields,
              method: request.method,
              path: url.pathname,
              status: response.status,
              duration_ms: Math.round((performance.now() - started) * 100) / 100,
              client_ip: clientIp(request),
              caller: callerOf.get(request),
              user_agent: request.headers.get('user-agent') ?? undefined,
            },
            'request',
          );
          scope.logged = true;
          return response;
        });
      };
    } as any);
}
