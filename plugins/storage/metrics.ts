/** The storage plugin's Prometheus metrics (OBS-2.3), created once per registry. */
import { Counter, Gauge, type Registry } from 'prom-client';
import { metric } from '../../src/metrics.ts';

/** Counters and gauges of the storage plugin. */
export function storageMetrics(registry: Registry) {
  return metric(registry, 'storage', () => ({
    saved: new Counter({
      name: 'elaoms_storage_files_saved_total',
      help: 'Payload files written, by webhook type',
      labelNames: ['type'],
      registers: [registry],
    }),
    bytes: new Counter({
      name: 'elaoms_storage_bytes_saved_total',
      help: 'Bytes written to disk for payload files (tokens when encrypted)',
      registers: [registry],
    }),
    failures: new Counter({
      name: 'elaoms_storage_failures_total',
      help: 'Storage operations that failed, by operation',
      labelNames: ['op'],
      registers: [registry],
    }),
    quarantine: new Counter({
      name: 'elaoms_storage_quarantine_total',
      help: 'Quarantine outcomes: held, passed, failed (signature), error (could not write), over_quota (not held)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    sweeps: new Counter({
      name: 'elaoms_storage_sweeps_total',
      help: 'Retention sweeps run',
      registers: [registry],
    }),
    swept: new Counter({
      name: 'elaoms_storage_sweep_files_deleted_total',
      help: 'Files deleted by the retention sweeper',
      registers: [registry],
    }),
    freed: new Counter({
      name: 'elaoms_storage_sweep_bytes_freed_total',
      help: 'Bytes freed by the retention sweeper',
      registers: [registry],
    }),
    lastSweep: new Gauge({
      name: 'elaoms_storage_last_sweep_duration_seconds',
      help: 'Duration of the last retention sweep',
      registers: [registry],
    }),
  }));
}

export type StorageMetrics = ReturnType<typeof storageMetrics>;
