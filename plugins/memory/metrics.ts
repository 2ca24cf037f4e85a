/** The embedded backend's upkeep backlog on /metrics, read at scrape time. */
import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../../src/db/index.ts';
import { metric } from '../../src/metrics.ts';
import { upkeepBacklog } from './upkeep.ts';

/**
 * `elaoms_memory_backlog_rows{kind}`: rows the background upkeep has still to index or count. After
 * an upgrade, a restore or a bulk change by hand it shows the catch-up going down to 0.
 */
export function backlogMetrics(registry: Registry, db: Db): void {
  metric(
    registry,
    'memory-backlog',
    () =>
      new Gauge({
        name: 'elaoms_memory_backlog_rows',
        help: "Embedded memory rows the background upkeep has still to do: 'unindexed' (not found by search yet), 'uncounted' (ranked from their text until counted)",
        labelNames: ['kind'],
        registers: [registry],
        collect() {
          try {
            const backlog = upkeepBacklog(db);
            this.set({ kind: 'unindexed' }, backlog.unindexed);
            this.set({ kind: 'uncounted' }, backlog.uncounted);
          } catch {
            // A closed database (shutting down): the last values stay.
          }
        },
      }),
  );
}
