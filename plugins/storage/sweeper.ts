/**
 * The retention sweeper (PERF-4): deletes payloads older than `retentionDays` and quarantined bodies
 * older than `quarantineRetentionDays`, found through storage_files rather than by walking the tree.
 * Never two runs at once: a `running` guard in the process and a SQLite lease across processes.
 * Each run is recorded in storage_sweeps and logged.
 */
import { lstat, opendir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { acquireLease, releaseLease } from '../../src/db/leases.ts';
import { TEMP_NAME } from './atomic.ts';
import { errorText, isMissing, type StorageDeps } from './deps.ts';
import { removeStored } from './files.ts';
import { deleteFileRows, expiredFiles, recordSweep } from './records.ts';

const DAY_MS = 86_400_000;
const LEASE = 'storage.sweep';
const LEASE_MS = 10 * 60_000;
const BATCH = 500;
/**
 * A temp file (`.<name>.<16 hex>.tmp`) untouched this long belongs to a writer that crashed: a live
 * atomic write takes seconds at most, and every chunk it writes refreshes the file's mtime.
 */
export const STALE_TEMP_MS = 10 * 60_000;
/**
 * The request trigger starts a sweep at most this often per process: files expire by age in days,
 * so a sweep every 100 requests at thousands of requests per second (three commits each) would find
 * nothing new and cost 5 % of the server's CPU.
 */
export const REQUEST_SWEEP_GAP_MS = 10_000;
/** Looking for temp files walks the folders, so it runs at most this often per process. */
const TEMP_SCAN_EVERY_MS = STALE_TEMP_MS;
/** Payloads lie in `{base}/{dir}/`, quarantined bodies in the quarantine folder: two levels suffice. */
const TEMP_SCAN_DEPTH = 2;

/** What one sweep did; `skipped` when another run held the guard or the lease. */
export interface SweepStats {
  startedAt: number;
  filesDeleted: number;
  bytesFreed: number;
  durationMs: number;
  /** Files that could not be deleted (left for the next run). */
  errors: number;
  /** Stale temp files of interrupted writes removed (their bytes are in bytesFreed). */
  tempFilesDeleted: number;
  skipped?: 'running' | 'lease';
}

/** A sweep that deleted nothing yet, as of `nowMs`. */
function noStats(nowMs: number): SweepStats {
  return { startedAt: nowMs, filesDeleted: 0, bytesFreed: 0, durationMs: 0, errors: 0, tempFilesDeleted: 0 };
}

/** The sweeper with its guard; `sweep(now)` runs once, `maybe*` apply the triggers. */
export function createSweeper(deps: StorageDeps) {
  let running: Promise<SweepStats> | undefined;
  let requests = 0;
  let lastRequestSweep: number | undefined;
  let last: SweepStats | undefined;
  let lastTempScan: number | undefined;

  /** Deletes `.*.tmp` files of interrupted writes whose mtime is older than STALE_TEMP_MS. */
  async function sweepTemps(nowMs: number, stats: SweepStats): Promise<void> {
    if (lastTempScan !== undefined && nowMs - lastTempScan < TEMP_SCAN_EVERY_MS && nowMs >= lastTempScan)
      return;
    lastTempScan = nowMs;
    const roots = new Set([resolve(deps.config.path), resolve(deps.config.quarantinePath)]);
    for (const root of roots) {
      for await (const path of tempFiles(root, TEMP_SCAN_DEPTH)) {
        try {
          const info = await lstat(path);
          if (!info.isFile() || info.mtimeMs > nowMs - STALE_TEMP_MS) continue;
          await unlink(path);
          stats.tempFilesDeleted++;
          stats.bytesFreed += info.size;
        } catch (error) {
          if (isMissing(error)) continue;
          stats.errors++;
          deps.logger.warn({ reason: errorText(error) }, 'sweeper could not delete a stale temp file');
        }
      }
    }
  }

  async function run(nowMs: number): Promise<SweepStats> {
    const started = performance.now();
    const stats = noStats(nowMs);
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
    await sweepTemps(nowMs, stats);
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
        temp_files_deleted: stats.tempFilesDeleted,
      },
      'retention sweep done',
    );
    last = stats;
    return stats;
  }

  /** Runs one sweep as of `nowMs`, unless one is already running here or in another process. */
  async function sweep(nowMs: number = deps.clock.now()): Promise<SweepStats> {
    const idle = noStats(nowMs);
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
    /**
     * Counts one request; every `cleanupEveryRequests` requests a sweep starts in the background,
     * unless this trigger started one less than REQUEST_SWEEP_GAP_MS ago.
     */
    noteRequest(): void {
      const every = deps.config.cleanupEveryRequests;
      if (every <= 0) return;
      requests++;
      if (requests < every) return;
      requests = 0;
      const now = deps.clock.now();
      if (
        lastRequestSweep !== undefined &&
        now - lastRequestSweep < REQUEST_SWEEP_GAP_MS &&
        now >= lastRequestSweep
      )
        return;
      lastRequestSweep = now;
      kick();
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

/** Paths of temp-file names under `dir`, `depth` folder levels down; symlinks are not followed. */
async function* tempFiles(dir: string, depth: number): AsyncGenerator<string> {
  let entries: Awaited<ReturnType<typeof opendir>>;
  try {
    entries = await opendir(dir);
  } catch {
    return; // a missing or unreadable folder holds nothing to sweep
  }
  for await (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isFile() && TEMP_NAME.test(entry.name)) yield path;
    else if (entry.isDirectory() && depth > 0) yield* tempFiles(path, depth - 1);
  }
}
