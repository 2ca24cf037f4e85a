/** The embedded backend's upkeep backlog on /metrics, read at scrape time. */
import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../../src/db/index.ts';
import { metric } from '../../src/metrics.ts';
import { upkeepBacklog } from './upkeep.ts';

/**
 * `elaoms_memory_backlog_rows{kind}`: what the background upkeep has still to index or count. After
 * an upgrade or a bulk change by hand it shows the catch-up going down to 0. Rows restored by hand
 * under ids at or below the mark are not seen by the rounds, nor here: `elaoms reindex` is for them.
 */
export function backlogMetrics(registry: Registry, db: Db): void {
  metric(
    registry,
    'memory-backlog',
    () =>
      new Gauge({
        name: 'elaoms_memory_backlog_rows',
        help: "Embedded memory upkeep still to do: 'above_mark' (ids the background rounds have still to index, an upper bound on rows search does not find yet), 'uncounted' (rows ranked from their text until counted)",
        labelNames: ['kind'],
        registers: [registry],
        collect() {
          try {
            const backlog = upkeepBacklog(db);
            this.set({ kind: 'above_mark' }, backlog.aboveMark);
            this.set({ kind: 'uncounted' }, backlog.uncounted);
          } catch {
            // A closed database (shutting down): the last values stay.
          }
        },
      }),
  );
}
