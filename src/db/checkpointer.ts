/**
 * Copies the WAL into the database file on a worker thread, so the request path never does it.
 * node:sqlite is synchronous: a checkpoint run by the connection that commits (SQLite's automatic
 * one) blocks the event loop while it copies and fsyncs thousands of pages, which every request in
 * flight waits for. A second connection on its own thread checkpoints PASSIVE (never waiting for
 * readers or writers) every `intervalMs`; the main connection's `wal_autocheckpoint` stays as the
 * backstop if the thread falls behind. Runs the same on Bun and Deno (node:worker_threads, whose
 * `unref()` both have: the thread never keeps a process alive that forgot to stop the core).
 */
import { Worker } from 'node:worker_threads';

export interface CheckpointerOptions {
  /** The database file (not ":memory:"). */
  path: string;
  intervalMs: number;
}

export interface Checkpointer {
  /** Stops the thread after its connection is closed (at most one second). */
  stop(): Promise<void>;
}

export function startCheckpointer(options: CheckpointerOptions): Checkpointer {
  const worker = new Worker(new URL('./checkpoint-worker.ts', import.meta.url), {
    workerData: { path: options.path, intervalMs: options.intervalMs },
  });
  worker.unref();
  // A worker that fails (the file vanished) only stops checkpointing; SQLite's own ones remain.
  worker.on('error', () => {});
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          worker.terminate().then(
            () => resolve(),
            () => resolve(),
          );
        };
        const timer = setTimeout(done, 1000);
        worker.on('message', (message) => {
          if (message === 'stopped') done();
        });
        worker.on('exit', done);
        worker.postMessage('stop');
      });
      return stopping;
    },
  };
}
