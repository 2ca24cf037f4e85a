/**
 * The throttle service: rate limits and IP throttling for the configured path prefixes, and the
 * anomaly listeners on the event bus. Counters live in Redis when it is configured and ready, in
 * memory otherwise (see backend.ts).
 */

import type { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import type { Clock } from '../../src/clock.ts';
import type { EventBus } from '../../src/events.ts';
import { jsonError } from '../../src/http/errors.ts';
import { requestIdOf } from '../../src/http/request-context.ts';
import { currentRequestId, type Logger } from '../../src/log.ts';
import { metric } from '../../src/metrics.ts';
import { Anomalies } from './anomaly.ts';
import { Backend } from './backend.ts';
import type { ThrottleConfig } from './config.ts';
import {
  type CallerOf,
  INVALID_KEY_BUCKET,
  identities,
  type LimitState,
  Limits,
  presentedKeyLabel,
} from './limits.ts';
import { Windows } from './window.ts';

/** Dependencies of {@link createThrottleService}. */
export interface ThrottleDeps {
  config: ThrottleConfig;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  metrics: Registry;
  redis: Redis | null;
  clientIp(request: Request): string;
  /** The api_key identity (header-auth's key names when it is mounted); the presented key's hash otherwise. */
  callerOf?: CallerOf;
}

/** The throttle service. */
export interface ThrottleService {
  /** Whether the limits and IP throttling apply to this path. */
  covers(pathname: string): boolean;
  /** A 429 response when the request is over a limit or its IP is throttled, else null (with headers to add). */
  check(request: Request): Promise<{ response: Response | null; headers: Record<string, string> }>;
  /** Waits for the anomaly records started by events so far (tests, shutdown). */
  settled(): Promise<void>;
  /** 'redis', 'memory' or 'memory-fallback'. */
  readonly store: string;
  start(): void;
  stop(): Promise<void>;
}

function hitMetrics(registry: Registry) {
  return metric(
    registry,
    'throttle-hits',
    () =>
      new Counter({
        name: 'elaoms_rate_limit_hits_total',
        help: 'Requests answered 429, by dimension (ip, user_agent, api_key, anomaly)',
        labelNames: ['dimension'],
        registers: [registry],
      }),
  );
}

function limitHeaders(state: LimitState, windowSeconds: number): Record<string, string> {
  return {
    'ratelimit-limit': String(state.limit),
    'ratelimit-remaining': String(state.remaining),
    'ratelimit-reset': String(Math.ceil(state.resetMs / 1000)),
    'ratelimit-policy': `${state.limit};w=${windowSeconds}`,
  };
}

/** Builds the service and subscribes to the events it watches. */
export function createThrottleService(deps: ThrottleDeps): ThrottleService {
  const { config, logger, events } = deps;
  const backend = new Backend(deps.redis, logger);
  const windows = new Windows(backend);
  const limits = new Limits(config, backend, deps.clock);
  const hits = hitMetrics(deps.metrics);
  const anomalies = new Anomalies({
    windows,
    clock: deps.clock,
    logger,
    metrics: deps.metrics,
    threshold: config.anomalyFailureThreshold,
    windowSeconds: config.anomalyWindowSeconds,
  });
  const pending = new Set<Promise<void>>();
  const unsubscribe: Array<() => void> = [];
  let sweeper: ReturnType<typeof setInterval> | undefined;

  function track(work: Promise<void>) {
    const tracked = work.catch((error) => logger.error({ err: error }, 'throttle: anomaly record failed'));
    pending.add(tracked);
    tracked.finally(() => pending.delete(tracked));
  }

  if (config.anomalyDetection) {
    unsubscribe.push(
      events.on('auth.failure', (e) => track(anomalies.record('auth_failure', e.ip, e))),
      events.on('ratelimit.hit', (e) => track(anomalies.record('rate_limit_spike', e.ip, e))),
    );
    if (config.alertOnQuarantineFailures) {
      unsubscribe.push(
        events.on('quarantine.failure', (e) => track(anomalies.record('quarantine_failure_spike', 'all', e))),
      );
    }
  }

  const callerOf = deps.callerOf ?? presentedKeyLabel;
  /** The caller to name in the log line: a key name, never a hash nor the shared bucket of bad keys. */
  const loggedCaller = (id: string | null) =>
    deps.callerOf && id !== null && id !== INVALID_KEY_BUCKET ? id : undefined;

  function tooMany(
    request: Request,
    dimension: string,
    retryAfter: number,
    headers: Record<string, string>,
    caller?: string,
  ) {
    const ip = deps.clientIp(request);
    const requestId = currentRequestId() ?? requestIdOf(request);
    const scope = currentRequestId() ? {} : { request_id: requestId };
    hits.inc({ dimension });
    logger.warn({ ...scope, dimension, client_ip: ip, caller, retry_after_s: retryAfter }, 'rate limit hit');
    events.emit('ratelimit.hit', { ip, dimension, requestId });
    return jsonError(429, 'Too many requests', { ...headers, 'retry-after': String(retryAfter) });
  }

  async function check(request: Request) {
    const ip = deps.clientIp(request);
    if (config.anomalyDetection && config.ipThrottling) {
      const blocked = await anomalies.blockedFor(ip);
      if (blocked > 0) return { response: tooMany(request, 'anomaly', blocked, {}), headers: {} };
    }
    if (!limits.active) return { response: null, headers: {} };
    const ids = identities(request, ip, callerOf);
    const states = await limits.consume(ids);
    const tightest = states[0];
    if (!tightest) return { response: null, headers: {} };
    const headers = limitHeaders(tightest, config.windowSeconds);
    if (tightest.allowed) return { response: null, headers };
    const retryAfter = Math.max(1, Math.ceil(tightest.resetMs / 1000));
    const caller = loggedCaller(ids.api_key);
    return { response: tooMany(request, tightest.dimension, retryAfter, headers, caller), headers };
  }

  return {
    covers: (pathname) => config.paths.some((prefix) => pathname.startsWith(prefix)),
    check,
    async settled() {
      while (pending.size) await Promise.all([...pending]);
    },
    get store() {
      return backend.store;
    },
    start() {
      sweeper ??= setInterval(() => anomalies.sweep(), 60_000);
      (sweeper as { unref?: () => void }).unref?.();
    },
    async stop() {
      if (sweeper) clearInterval(sweeper);
      sweeper = undefined;
      for (const off of unsubscribe.splice(0)) off();
      backend.close();
      await Promise.all([...pending]);
    },
  };
}
