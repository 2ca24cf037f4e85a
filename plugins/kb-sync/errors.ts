/**
 * Error classification for ElevenLabs calls (requirements 001, "Error Classification" and the
 * error table): each failure gets a type, the user message of the table, whether it is worth
 * another attempt, and a short technical detail for the page's error details.
 */
import { BrokenCircuitError, isNetworkError, parseRetryAfter } from '../../src/resilience.ts';

export type SyncErrorType =
  | 'rate_limit'
  | 'auth_error'
  | 'validation'
  | 'server_error'
  | 'network'
  | 'unknown';

/** The user messages of 001's error table; `unknown` has none there, so it says what happened. */
export const USER_MESSAGES: Record<SyncErrorType, string> = {
  rate_limit: 'Service busy, retrying...',
  auth_error: 'API key invalid',
  validation: 'Document format invalid',
  server_error: 'Service unavailable, retrying...',
  network: 'Connection failed, retrying...',
  unknown: 'Sync failed unexpectedly',
};

const RETRYABLE: ReadonlySet<SyncErrorType> = new Set(['rate_limit', 'server_error', 'network']);

/** A classified sync failure, keeping the original error as `cause` (FR-1.3). */
export class SyncError extends Error {
  readonly type: SyncErrorType;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;
  /** What the upstream said, e.g. `HTTP 401: Invalid API key`. */
  readonly detail: string;

  constructor(
    type: SyncErrorType,
    detail: string,
    options: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(USER_MESSAGES[type], { cause: options.cause });
    this.name = 'SyncError';
    this.type = type;
    this.retryable = RETRYABLE.has(type);
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.detail = detail;
  }
}

/** Whether a failure of this type is retried (rate_limit, server_error, network). */
export function isRetryableType(type: SyncErrorType): boolean {
  return RETRYABLE.has(type);
}

/** The error type for an HTTP status from ElevenLabs. */
export function typeForStatus(status: number): SyncErrorType {
  if (status === 429) return 'rate_limit';
  if (status === 401 || status === 403) return 'auth_error';
  if (status === 400 || status === 413 || status === 415 || status === 422) return 'validation';
  if (status >= 500) return 'server_error';
  return 'unknown';
}

/** ElevenLabs' message from an error body (`{detail: {message}}`, `{detail: [{msg}]}` or text). */
function upstreamMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body.slice(0, 300) || undefined;
  if (!body || typeof body !== 'object') return undefined;
  const detail = (body as { detail?: unknown }).detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d: { loc?: unknown[]; msg?: string }) => `${(d.loc ?? []).join('.')}: ${d.msg ?? 'invalid'}`)
      .join('; ');
  }
  if (detail && typeof detail === 'object') {
    const d = detail as { message?: string; code?: string };
    return d.message ?? d.code;
  }
  return undefined;
}

/**
 * What we read of the SDK's `ElevenLabsError` (and its subclasses). Told apart by shape, not by
 * `instanceof`, so that this module does not import the SDK (about 90 MB) at start.
 */
interface SdkHttpError extends Error {
  statusCode: number;
  body?: unknown;
  rawResponse?: { headers?: { get?(name: string): string | null } };
}

function isSdkHttpError(error: unknown): error is SdkHttpError {
  return error instanceof Error && typeof (error as { statusCode?: unknown }).statusCode === 'number';
}

function retryAfterOf(error: SdkHttpError, nowMs: number): number | undefined {
  const headers = error.rawResponse?.headers;
  return parseRetryAfter(headers?.get?.('retry-after') ?? undefined, nowMs);
}

/** Classifies anything a sync call can throw. Already classified errors pass through. */
export function classifySyncError(error: unknown, nowMs = Date.now()): SyncError {
  if (error instanceof SyncError) return error;
  if (error instanceof BrokenCircuitError) {
    return new SyncError(
      'server_error',
      'Circuit open after repeated ElevenLabs failures; call not attempted',
      {
        cause: error,
      },
    );
  }
  if (isSdkHttpError(error)) {
    const status = error.statusCode;
    const said = upstreamMessage(error.body);
    return new SyncError(typeForStatus(status), `HTTP ${status}${said ? `: ${said}` : ''}`, {
      status,
      retryAfterMs: status === 429 || status >= 500 ? retryAfterOf(error, nowMs) : undefined,
      cause: error,
    });
  }
  const message = String((error as Error | undefined)?.message ?? error);
  // The SDK wraps fetch failures and its own timeout in an ElevenLabsError without a status
  // (reference elevenlabs.md §1.5): the cause, or the message, tells which.
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  const timedOut =
    (error as Error | undefined)?.name === 'ElevenLabsTimeoutError' ||
    message === '"timeout"' ||
    /timed? ?out/i.test(message);
  if (isNetworkError(error) || isNetworkError(cause) || timedOut || looksLikeNetwork(message)) {
    return new SyncError('network', timedOut ? 'Timed out waiting for ElevenLabs' : message, {
      cause: error,
    });
  }
  return new SyncError('unknown', message, { cause: error });
}

function looksLikeNetwork(message: string): boolean {
  return /fetch failed|ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EAI_AGAIN|socket|Unable to connect|connection (reset|refused|closed)|network/i.test(
    message,
  );
}
