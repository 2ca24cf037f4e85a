import { type Static, Type } from '@sinclair/typebox';

export const MetricsConfig = Type.Object(
  {
    path: Type.String({
      default: '/metrics',
      pattern: '^/',
      env: 'METRICS_PATH',
      description: 'Path of the scrape endpoint.',
    }),
    port: Type.Integer({
      default: 0,
      minimum: 0,
      maximum: 65535,
      env: 'METRICS_PORT',
      description:
        '0: serve metrics on the main port behind the admin key. Otherwise a separate, unauthenticated listener on this port (bind it to a private interface).',
    }),
    host: Type.String({
      default: '127.0.0.1',
      env: 'METRICS_HOST',
      description: 'Interface of the separate metrics listener.',
    }),
    defaultMetrics: Type.Boolean({
      default: true,
      env: 'METRICS_PROCESS',
      description: 'Include process metrics (memory, CPU, event loop lag).',
    }),
  },
  { description: 'Prometheus metrics (OBS-2).' },
);

export type MetricsConfig = Static<typeof MetricsConfig>;
