/**
 * The one HTTP client a remote backend uses: fetch with a per-attempt timeout, JSON in and out, HTTP
 * errors mapped to MemoryBackendError (4xx other than 408/429 permanent; Retry-After kept), network
 * errors transient, every call run under the upstream's retry + circuit-breaker policy.
 */
import { BrokenCircuitError, parseRetryAfter, type Upstream } from '../../src/resilience.ts';
import { MemoryBackendError } from './types.ts';

export interface HttpClientOptions {
  /** For messages: `openmemory`, `mem0`. */
  name: string;
  baseUrl: string;
  /** Auth and other headers sent on every call. */
  headers: Record<string, string>;
  timeoutMs: number;
  upstream: Upstream;
  fetch?: typeof fetch;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Statuses answered as `null` instead of an error (e.g. 404 = unknown user). */
  allow?: number[];
  /** One attempt outside the retry and breaker policy, with this timeout (health probes). */
  probeTimeoutMs?: number;
}

export interface HttpClient {
  /** The parsed JSON body (undefined when empty), or null for an allowed status. */
  request<T = unknown>(request: HttpRequest): Promise<T | null>;
  /** The upstream's circuit: 'closed' | 'open' | 'half-open' | 'isolated'. */
  circuit(): string;
}

/** Permanent: a 4xx other than 408 and 429 (PERF-2.4); retrying it cannot help. */
export function isPermanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** A health probe: one direct call, reported with its latency and the circuit state. */
export async function probe(
  client: HttpClient,
  request: HttpRequest,
  explain: (error: MemoryBackendError) => string = (error) => error.message,
): Promise<{ ok: boolean; latencyMs: number; detail?: string }> {
  const started = performance.now();
  const circuit = client.circuit();
  try {
    await client.request(request);
    const latencyMs = performance.now() - started;
    return circuit === 'open'
      ? { ok: false, latencyMs, detail: 'circuit open after repeated failures' }
      : { ok: true, latencyMs };
  } catch (error) {
    const detail = error instanceof MemoryBackendError ? explain(error) : String(error);
    return { ok: false, latencyMs: performance.now() - started, detail };
  }
}

function describeBody(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const doFetch = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/+$/, '');

  function urlOf(request: HttpRequest): string {
    const url = new URL(base + request.path);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  async function once(request: HttpRequest): Promise<unknown> {
    const what = `${options.name} ${request.method} ${request.path}`;
    let response: Response;
    try {
      response = await doFetch(urlOf(request), {
        method: request.method,
        headers: {
          accept: 'application/json',
          ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(request.probeTimeoutMs ?? options.timeoutMs),
      });
    } catch (error) {
      const timedOut = (error as { name?: string })?.name === 'TimeoutError';
      const limit = request.probeTimeoutMs ?? options.timeoutMs;
      const reason = timedOut ? `no answer within ${limit} ms` : (error as Error)?.message;
      throw new MemoryBackendError(`${what} failed: ${reason}`, undefined, false, error);
    }
    const text = await response.text().catch(() => '');
    if (request.allow?.includes(response.status)) return null;
    if (!response.ok) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      throw new MemoryBackendError(
        `${what} answered ${response.status}${text ? `: ${describeBody(text)}` : ''}`,
        response.status,
        isPermanentStatus(response.status),
        undefined,
        retryAfterMs,
      );
    }
    if (!text) return undefined;
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new MemoryBackendError(`${what} answered invalid JSON`, response.status, true, error);
    }
  }

  return {
    async request<T>(request: HttpRequest): Promise<T | null> {
      if (request.probeTimeoutMs !== undefined) return (await once(request)) as T | null;
      try {
        return (await options.upstream.execute(() => once(request))) as T | null;
      } catch (error) {
        if (error instanceof BrokenCircuitError) {
          throw new MemoryBackendError(`${options.name} is unavailable (circuit open)`, 503, false, error);
        }
        throw error;
      }
    },
    circuit: () => options.upstream.state(),
  };
}
