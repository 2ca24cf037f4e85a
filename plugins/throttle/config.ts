/**
 * The throttle section: rate limits per client IP, user agent and API key (PERF-3, CONF-5.2: off
 * unless set), anomaly detection (SEC-7, CONF-4.2–4.5) and IP throttling. Env names follow
 * Appendix A of the 004 requirements where one exists.
 */
import { type Static, Type } from '@sinclair/typebox';
import { WINDOW_CAP } from './window.ts';

const perMinute = (env: string, what: string) =>
  Type.Optional(
    Type.Integer({ minimum: 1, env, description: `Requests allowed per window ${what}. Unset: no limit.` }),
  );

export const ThrottleConfig = Type.Object(
  {
    rateLimit: perMinute('WEBHOOK_RATE_LIMIT', 'per client IP'),
    rateLimitPerUserAgent: perMinute('WEBHOOK_RATE_LIMIT_PER_USER_AGENT', 'per user agent'),
    rateLimitPerApiKey: perMinute(
      'WEBHOOK_RATE_LIMIT_PER_API_KEY',
      'per API key (with header-auth: per key name, all unknown keys sharing one bucket; alone: per presented key)',
    ),
    windowSeconds: Type.Integer({
      default: 60,
      minimum: 1,
      env: 'THROTTLE_WINDOW_SECONDS',
      description: 'Length of a rate-limit window in seconds (the limits are per minute by default).',
    }),
    paths: Type.Array(Type.String({ pattern: '^/' }), {
      default: ['/webhooks/', '/api/', '/metrics', '/admin/'],
      env: 'THROTTLE_PATHS',
      description: 'Path prefixes the limits and IP throttling apply to (comma-separated).',
    }),
    anomalyDetection: Type.Boolean({
      default: true,
      env: 'ANOMALY_DETECTION_ENABLED',
      description: 'Watch authentication failures, rate-limit hits and quarantine failures (SEC-7).',
    }),
    anomalyFailureThreshold: Type.Integer({
      default: 5,
      minimum: 1,
      // A window keeps at most WINDOW_CAP events, so a higher threshold could never be reached.
      maximum: WINDOW_CAP,
      env: 'ANOMALY_FAILURE_THRESHOLD',
      description: `Events within the window that make an anomaly (at most ${WINDOW_CAP}, the events a window keeps).`,
    }),
    anomalyWindowSeconds: Type.Integer({
      default: 300,
      minimum: 1,
      env: 'ANOMALY_WINDOW_SECONDS',
      description: 'Sliding window of anomaly detection, in seconds.',
    }),
    ipThrottling: Type.Boolean({
      default: false,
      env: 'ANOMALY_IP_THROTTLING',
      description:
        'Answer 429 to an IP while its authentication failures are over the threshold (SEC-7.4). Off by default: ElevenLabs sends from shared egress IPs.',
    }),
    alertOnQuarantineFailures: Type.Boolean({
      default: true,
      env: 'ALERT_ON_QUARANTINE_FAILURES',
      description: 'Watch quarantine save failures for spikes (SEC-6.4, SEC-7.6).',
    }),
  },
  { default: {}, additionalProperties: false },
);

export type ThrottleConfig = Static<typeof ThrottleConfig>;
