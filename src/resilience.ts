/**
 * Outgoing calls: one policy per upstream (cockatiel): a timeout per attempt, retries with
 * exponential backoff and jitter only for transient failures (network, 429, 5xx), honouring
 * Retry-After, and a circuit breaker so a dead upstream costs microseconds, not a timeout per call.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  DelegateBackoff,
  handleWhen,
  retry,
  wrap,
} from 'cockatiel';
import type { Registry } from 'prom-client';
import type { Logger } from './log.ts';
import { upstreamMetrics } from './metrics.ts';

/** An upstream answered with an HTTP error status, or could not be reached. */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export { BrokenCircuitError };

/** Network failures look different on Bun, Deno and Node; this knows all three shapes. */
export function isNetworkError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { name?: string; code?: string; message?: string; cause?: any };
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
  const codes = [
    'ECONNRESET',
    'ECONNREFUSED',
    'EPIPE',
    'ETIMEDOUT',
    'ENOTFOUND',
    'EAI_AGAIN',
    'UND_ERR_SOCKET',
  ];
  if (e.code && codes.includes(e.code)) return true;
  if (e.cause && typeof e.cause === 'object' && e.cause !== error && isNetworkError(e.cause)) return true;
  const message = String(e.message ?? '');
  return (
    e.name === 'TypeError' &&
    /fetch failed|network|socket|ECONN|connection (reset|refused|closed)|os error|Unable to connect/i.test(
      message,
    )
  );
}

/** Status of an error from our clients or from the ElevenLabs SDK (statusCode). */
export function statusOf(error: unknown): number | undefined {
  const e = error as { status?: unknown; statusCode?: unknown } | undefined;
  const s = e?.status ?? e?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** Transient: worth another attempt (PERF-2.3/2.4: network, timeouts, 429, 5xx; never other 4xx). */
export function isTransient(error: unknown): boolean {
  if (error instanceof BrokenCircuitError) return false;
  const status = statusOf(error);
  if (status !== undefined) return status === 429 || status === 408 || status >= 500;
  return isNetworkError(error);
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export interface RetrySchedule {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Fraction of random spread added to each delay (0 = none). */
  jitter?: number;
}

/**
 * The delay before retry number `attempt` (1-based): base·2^(attempt-1), capped; a Retry-After
 * from the upstream wins when it is longer (also capped).
 */
export function backoffDelay(
  schedule: RetrySchedule,
  attempt: number,
  retryAfterMs?: number,
  random = Math.random,
): number {
  const exponential = Math.min(schedule.maxDelayMs, schedule.baseDelayMs * 2 ** (attempt - 1));
  const jittered = exponential * (1 + (schedule.jitter ?? 0) * random());
  const delay = Math.max(jittered, retryAfterMs ?? 0);
  return Math.round(Math.min(delay, schedule.maxDelayMs));
}

export interface UpstreamOptions extends RetrySchedule {
  name: string;
  /** Retries after the first call (0 = one call only). */
  maxRetries: number;
  breakerThreshold: number;
  halfOpenAfterMs: number;
  logger?: Logger;
  metrics?: Registry;
  /** Decides what is worth retrying; transient errors by default. */
  retryable?: (error: unknown) => boolean;
}

export interface Upstream {
  readonly name: string;
  /** Runs `call` under the retry and breaker policy. `attempt` is 1-based. */
  execute<T>(call: (attempt: number) => Promise<T>): Promise<T>;
  /** 'closed' | 'open' | 'half-open' | 'isolated'. */
  state(): string;
}

const STATE_NAMES: Record<number, string> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

export function createUpstream(options: UpstreamOptions): Upstream {
  const retryable = options.retryable ?? isTransient;
  const metrics = options.metrics ? upstreamMetrics(options.metrics) : undefined;
  const retryPolicy = retry(handleWhen(retryable), {
    // cockatiel counts retries here, not calls.
    maxAttempts: options.maxRetries,
    backoff: new DelegateBackoff((ctx: any) => {
      const error = 'error' in ctx.result ? ctx.result.error : undefined;
      return backoffDelay(options, ctx.attempt, (error as UpstreamError | undefined)?.retryAfterMs);
    }),
  });
  const breaker = circuitBreaker(handleWhen(retryable), {
    halfOpenAfter: options.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.breakerThreshold),
  });
  retryPolicy.onRetry((event: any) => {
    metrics?.retries.inc({ upstream: options.name });
    options.logger?.warn(
      { upstream: options.name, delay_ms: event.delay, attempt: event.attempt, err: event.error },
      'retrying upstream call',
    );
  });
  breaker.onStateChange((state) => {
    metrics?.circuit.set({ upstream: options.name }, state);
    options.logger?.warn({ upstream: options.name, circuit: STATE_NAMES[state] }, 'circuit state changed');
  });
  const policy = wrap(retryPolicy, breaker);
  return {
    name: options.name,
    async execute<T>(call: (attempt: number) => Promise<T>): Promise<T> {
      let attempt = 0;
      return policy.execute(async () => {
        attempt += 1;
        const started = performance.now();
        try {
          const result = await call(attempt);
          metrics?.observe(options.name, 'ok', performance.now() - started);
          return result;
        } catch (error) {
          metrics?.observe(options.name, String(statusOf(error) ?? 'error'), performance.now() - started);
          throw error;
        }
      });
    },
    state: () => STATE_NAMES[breaker.state] ?? 'unknown',
  };
}
