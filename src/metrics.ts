/**
 * Prometheus metrics (prom-client). One registry per app instance, so two instances in one
 * process (tests, embedding) never collide. Metric families are created once per registry.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createRegistry(): Registry {
  return new Registry();
}

const cache = new WeakMap<Registry, Map<string, unknown>>();

/** Returns the metric `name` of `registry`, creating it with `make` the first time. */
export function metric<T>(registry: Registry, name: string, make: () => T): T {
  let byName = cache.get(registry);
  if (!byName) {
    byName = new Map();
    cache.set(registry, byName);
  }
  if (!byName.has(name)) byName.set(name, make());
  return byName.get(name) as T;
}

export function httpMetrics(registry: Registry) {
  return metric(registry, 'http', () => ({
    requests: new Counter({
      name: 'elaoms_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'elaoms_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  }));
}

export function upstreamMetrics(registry: Registry) {
  return metric(registry, 'upstream', () => {
    const calls = new Counter({
      name: 'elaoms_upstream_calls_total',
      help: 'Outgoing API calls by upstream and result',
      labelNames: ['upstream', 'result'],
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'elaoms_upstream_call_duration_seconds',
      help: 'Outgoing API call latency',
      labelNames: ['upstream'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    return {
      retries: new Counter({
        name: 'elaoms_upstream_retries_total',
        help: 'Retries of outgoing API calls',
        labelNames: ['upstream'],
        registers: [registry],
      }),
      circuit: new Gauge({
        name: 'elaoms_upstream_circuit_state',
        help: 'Circuit state per upstream: 0 closed, 1 open, 2 half-open, 3 isolated',
        labelNames: ['upstream'],
        registers: [registry],
      }),
      observe(upstream: string, result: string, ms: number) {
        calls.inc({ upstream, result });
        duration.observe({ upstream }, ms / 1000);
      },
    };
  });
}
