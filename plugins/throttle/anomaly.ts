/**
 * Anomaly detection (SEC-7): events per key in a sliding window; crossing the threshold logs one
 * structured WARN (OBS-1.8) and counts it. Auth failures are per client IP and can throttle that IP;
 * rate-limit hits are per IP; quarantine failures are a local problem, counted for the whole instance.
 */
import { Counter, type Registry } from 'prom-client';
import type { Clock } from '../../src/clock.ts';
import type { Logger } from '../../src/log.ts';
import { metric } from '../../src/metrics.ts';
import type { Windows } from './window.ts';

/** What an anomaly is about. */
export type AnomalyType = 'auth_failure' | 'rate_limit_spike' | 'quarantine_failure_spike';

/** Dependencies of {@link Anomalies}. */
export interface AnomalyDeps {
  windows: Windows;
  clock: Clock;
  logger: Logger;
  metrics: Registry;
  threshold: number;
  windowSeconds: number;
}

function anomalyMetrics(registry: Registry) {
  return metric(registry, 'throttle-anomalies', () => ({
    events: new Counter({
      name: 'elaoms_security_events_total',
      help: 'Events watched by anomaly detection (auth failures by kind, rate-limit hits, quarantine failures)',
      labelNames: ['type'],
      registers: [registry],
    }),
    anomalies: new Counter({
      name: 'elaoms_anomalies_total',
      help: 'Anomalies detected (a threshold crossed within the window), by type',
      labelNames: ['type'],
      registers: [registry],
    }),
  }));
}

/** The detector. */
export class Anomalies {
  private readonly counters;
  private readonly windowMs: number;

  constructor(private readonly deps: AnomalyDeps) {
    this.counters = anomalyMetrics(deps.metrics);
    this.windowMs = deps.windowSeconds * 1000;
  }

  /** Records one event; logs and counts an anomaly when this event makes the count reach the threshold. */
  async record(type: AnomalyType, key: string, fields: { ip: string; requestId?: string }): Promise<void> {
    this.counters.events.inc({ type });
    const times = await this.deps.windows.add(`${type}:${key}`, this.deps.clock.now(), this.windowMs);
    if (times.length !== this.deps.threshold) return;
    this.counters.anomalies.inc({ type });
    this.deps.logger.warn(
      {
        anomaly_type: type,
        client_ip: fields.ip,
        failure_count: times.length,
        window_seconds: this.deps.windowSeconds,
        threshold: this.deps.threshold,
        request_id: fields.requestId,
      },
      'anomaly detected',
    );
  }

  /** Seconds until `ip` drops below the auth-failure threshold, or 0 when it is not over it. */
  async blockedFor(ip: string): Promise<number> {
    const now = this.deps.clock.now();
    const times = await this.deps.windows.peek(`auth_failure:${ip}`, now, this.windowMs);
    if (times.length < this.deps.threshold) return 0;
    const expiring = times[times.length - this.deps.threshold]!;
    return Math.max(1, Math.ceil((expiring + this.windowMs - now) / 1000));
  }

  sweep(): void {
    this.deps.windows.sweep(this.deps.clock.now(), this.windowMs);
  }
}
