/**
 * A small closed-loop load generator on fetch: keep-alive, `concurrency` requests in flight,
 * each built fresh by `makeRequest(i)` (so bodies can be unique and signed), for `durationMs`.
 * Loopback only; bounded in time and count.
 */
export interface LoadOptions {
  url: string;
  concurrency: number;
  durationMs: number;
  /** Upper bound on requests sent, whatever the duration. */
  maxRequests?: number;
  /** Builds request number i. */
  makeRequest(i: number): Promise<RequestInit & { path: string }> | (RequestInit & { path: string });
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<string, number>;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const host = new URL(options.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host.hostname))
    throw new Error('load only goes to loopback');
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let next = 0;
  const max = options.maxRequests ?? Number.POSITIVE_INFINITY;
  const started = performance.now();
  const deadline = started + options.durationMs;

  async function worker() {
    while (performance.now() < deadline && next < max) {
      const i = next++;
      const { path, ...init } = await options.makeRequest(i);
      const t0 = performance.now();
      try {
        const response = await fetch(new URL(path, options.url), { ...init, keepalive: true });
        await response.arrayBuffer();
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      } catch {
        errors += 1;
      }
      latencies.push(performance.now() - t0);
    }
  }

  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    statuses,
    errors,
  };
}
