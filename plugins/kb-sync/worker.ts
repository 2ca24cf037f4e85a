/**
 * A small pool of loops over a durable queue: each loop claims one job, runs it, and claims the
 * next; with nothing to claim it waits for `wake()` or the poll interval. `stop()` ends the loops
 * and waits for the jobs in hand; `settle()` resolves once nothing is claimable or running.
 */

export interface WorkerOptions<J> {
  concurrency: number;
  pollIntervalMs: number;
  /** Claims the next job, or undefined when the queue is empty. */
  claim(): J | undefined;
  run(job: J): Promise<void>;
  /** Whether the queue still holds claimable work (for settle()). */
  hasWork(): boolean;
  onError(error: unknown): void;
}

export interface Worker {
  start(): void;
  /** Ends the loops; resolves when the jobs in hand are done. */
  stop(): Promise<void>;
  /** Tells idle loops there is new work. */
  wake(): void;
  /** Resolves when no job is running and none is claimable. */
  settle(): Promise<void>;
  readonly running: boolean;
}

export function createWorker<J>(options: WorkerOptions<J>): Worker {
  let running = false;
  let loops: Promise<void>[] = [];
  let busy = 0;
  let waiters: Array<() => void> = [];

  function wake(): void {
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  }

  function idle(): Promise<void> {
    return new Promise(function wait(resolve) {
      const timer = setTimeout(function poll() {
        waiters = waiters.filter((w) => w !== done);
        resolve();
      }, options.pollIntervalMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      waiters.push(done);
    });
  }

  async function loop(): Promise<void> {
    while (running) {
      let job: J | undefined;
      try {
        job = options.claim();
      } catch (error) {
        options.onError(error);
      }
      if (job === undefined) {
        await idle();
        continue;
      }
      busy += 1;
      try {
        await options.run(job);
      } catch (error) {
        options.onError(error);
      } finally {
        busy -= 1;
      }
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loops = Array.from({ length: options.concurrency }, () => loop());
    },
    async stop() {
      running = false;
      wake();
      await Promise.allSettled(loops);
      loops = [];
    },
    wake,
    async settle() {
      while (busy > 0 || (running && options.hasWork())) {
        wake();
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    get running() {
      return running;
    },
  };
}
