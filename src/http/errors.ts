/**
 * One error mapping for the whole app: every error body is `{"detail": "…"}`.
 * Unknown route 404, malformed JSON 400, schema failure 422 naming the field,
 * anything unexpected 500 with the request id (the stack goes to the log, never the body).
 */
import { Elysia } from 'elysia';
import { currentRequestId, type Logger } from '../log.ts';

/** An error with an HTTP status and a client-facing detail. Elysia answers it through toResponse(). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'HttpError';
  }

  toResponse(): Response {
    return jsonError(this.status, this.detail, this.headers);
  }
}

/** A `{"detail": …}` JSON response. */
export function jsonError(status: number, detail: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ detail }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** 503 for a route whose secret or setting is not configured: fail closed. */
export function notConfigured(setting: string): Response {
  return jsonError(503, `${setting} is not configured`);
}

interface FieldError {
  path?: string;
  message?: string;
  summary?: string;
}

function describeValidation(error: any): string {
  const where = error.type === 'body' ? 'body' : error.type;
  const first: FieldError | undefined = error.all?.[0] ?? error.valueError;
  const field = first?.path ? first.path.replace(/^\//, '').replace(/\//g, '.') : '';
  const message = first?.summary ?? first?.message ?? 'is invalid';
  return `Invalid ${where}${field ? `: ${field}` : ''}: ${message}`;
}

/** The global error mapping. */
export function errorHandling(logger: Logger, scope: 'global' | 'scoped' = 'global') {
  return new Elysia({ name: 'elaoms/errors', seed: scope }).onError(
    { as: scope },
    function mapError({ code, error }) {
      switch (code) {
        case 'NOT_FOUND':
          return jsonError(404, 'Not Found');
        case 'PARSE':
          return jsonError(400, 'Invalid JSON payload');
        case 'VALIDATION':
          return jsonError(422, describeValidation(error));
        case 'INVALID_COOKIE_SIGNATURE':
          return jsonError(400, 'Invalid cookie signature');
      }
      if (error instanceof HttpError) return error.toResponse();
      const status = (error as any)?.status;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        return jsonError(status, String((error as any)?.message ?? 'Request failed'));
      }
      const requestId = currentRequestId();
      logger.error({ err: error }, 'unhandled error');
      return new Response(JSON.stringify({ detail: 'Internal server error', request_id: requestId }), {
        status: 500,
        headers: { 'content-type': 'application/json' },
      });
    },
  );
}
