/**
 * The retention sweeper (PERF-4): deletes payloads older than `retentionDays` and quarantined bodies
 * older than `quarantineRetentionDays`, found through storage_files rather than by walking the tree.
 * Never two runs at once: a `running` guard in the process and a SQLite lease across processes.
 * Each run is recorded in storage_sweeps and logged.
 */
import { acquireLease, releaseLease } from '../../src/db/leases.ts';
import { errorText, type StorageDeps } from './deps.ts';
import { removeStored } from './files.ts';
import { deleteFileRows, expiredFiles, recordSweep } from './records.ts';

const DAY_MS = 86_400_000;
const LEASE = 'storage.sweep';
const LEASE_MS = 10 * 60_000;
const BATCH = 500;

/** What one sweep did; `skipped` when another run held the guard or the lease. */
export interface SweepStats {
  startedAt: number;
  filesDeleted: number;
  bytesFreed: number;
  durationMs: number;
  /** Files that could not be deleted (left for the next run). */
  errors: number;
  skipped?: 'running' | 'lease';
}

/** The sweeper with its guard; `sweep(now)` runs once, `maybe*` apply the triggers. */
export function createSweeper(deps: StorageDeps) {
  let running: Promise<SweepStats> | undefined;
  let requests = 0;
  let last: SweepStats | undefined;

  async function run(nowMs: number): Promise<SweepStats> {
    const started = performance.now();
    const stats: SweepStats = { startedAt: nowMs, filesDeleted: 0, bytesFreed: 0, durationMs: 0, errors: 0 };
    const payloadBefore = nowMs - deps.config.retentionDays * DAY_MS;
    const quarantineBefore = nowMs - deps.config.quarantineRetentionDays * DAY_MS;
    const failed = new Set<number>();
    for (;;) {
      const rows = expiredFiles(deps.db, payloadBefore, quarantineBefore, BATCH + failed.size).filter(
        (r) => !failed.has(r.id),
      );
      if (rows.length === 0) break;
      const gone: number[] = [];
      for (const row of rows) {
        try {
          stats.bytesFreed += await removeStored(row);
          gone.push(row.id);
        } catch (error) {
          failed.add(row.id);
          stats.errors++;
          deps.logger.warn({ file_id: row.id, reason: errorText(error) }, 'sweeper could not delete a file');
        }
      }
      deleteFileRows(deps.db, gone);
      stats.filesDeleted += gone.length;
    }
    stats.durationMs = Math.round(performance.now() - started);
    recordSweep(deps.db, {
      startedAt: stats.startedAt,
      filesDeleted: stats.filesDeleted,
      bytesFreed: stats.bytesFreed,
      durationMs: stats.durationMs,
      errors: stats.errors,
    });
    deps.metrics.sweeps.inc();
    deps.metrics.swept.inc(stats.filesDeleted);
    deps.metrics.freed.inc(stats.bytesFreed);
    deps.metrics.lastSweep.set(stats.durationMs / 1000);
    deps.logger.info(
      {
        files_deleted: stats.filesDeleted,
        bytes_freed: stats.bytesFreed,
        duration_ms: stats.durationMs,
        errors: stats.errors,
      },
      'retention sweep done',
    );
    last = stats;
    return stats;
  }

  /** Runs one sweep as of `nowMs`, unless one is already running here or in another process. */
  async function sweep(nowMs: number = deps.clock.now()): Promise<SweepStats> {
    const idle = { startedAt: nowMs, filesDeleted: 0, bytesFreed: 0, durationMs: 0, errors: 0 };
    if (running) return { ...idle, skipped: 'running' };
    if (!acquireLease(deps.db, LEASE, deps.instanceId, nowMs, LEASE_MS)) return { ...idle, skipped: 'lease' };
    running = run(nowMs);
    try {
      return await running;
    } finally {
      running = undefined;
      try {
        releaseLease(deps.db, LEASE, deps.instanceId);
      } catch {
        // The database may be closing; the lease expires by itself.
      }
    }
  }

  /** Starts a sweep in the background, logging instead of throwing. */
  function kick(): void {
    sweep().catch((error) => deps.logger.error({ reason: errorText(error) }, 'retention sweep failed'));
  }

  return {
    sweep,
    /** Counts one request; every `cleanupEveryRequests` requests a sweep starts in the background. */
    noteRequest(): void {
      const every = deps.config.cleanupEveryRequests;
      if (every <= 0) return;
      requests++;
      if (requests >= every) {
        requests = 0;
        kick();
      }
    },
    kick,
    /** Resolves when the current sweep (if any) has finished. */
    idle(): Promise<unknown> {
      return running?.catch(() => {}) ?? Promise.resolve();
    },
    last: () => last,
  };
}

export type Sweeper = ReturnType<typeof createSweeper>;
