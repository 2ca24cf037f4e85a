/**
 * Process entry: `bun run start`, `elaoms start` or `deno task start`. With `server.workers` > 1
 * (WORKERS=N) this process applies migrations once, then starts N worker processes that share the
 * port (reusePort) and the SQLite file (WAL, busy timeout); it restarts a worker that crashes, forwards
 * SIGTERM/SIGINT to them and exits with them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createApp } from './app.ts';
import { ConfigError } from './config/index.ts';
import type { Core } from './core.ts';
import { closeLog } from './log.ts';
import { onShutdownSignal, selfCommand } from './runtime.ts';
import { banner, serveCore } from './server.ts';

async function build(argv: string[]): Promise<Core> {
  try {
    return await createApp({ argv });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

/** Exits once the log lines written so far have reached the destination (at most one second later). */
function exitAfterLogs(core: Core, code: number): void {
  closeLog(core.logger).then(() => process.exit(code));
}

async function serveHere(core: Core) {
  let served: Awaited<ReturnType<typeof serveCore>>;
  try {
    served = await serveCore(core);
  } catch (error) {
    const { host, port } = core.config.server;
    console.error(`cannot listen on ${host}:${port} (HOST/PORT): ${(error as Error).message}`);
    await core.stop();
    process.exit(2);
  }
  const worker = process.env.ELAOMS_WORKER;
  if (!worker || worker === '1') console.log(banner(core, served.server.url));
  let shuttingDown = false;
  onShutdownSignal((signal) => {
    // A second signal changes nothing; after closeLog() nothing may be logged.
    if (shuttingDown) return;
    shuttingDown = true;
    core.logger.info({ signal }, 'shutting down');
    served.shutdown().then(
      () => exitAfterLogs(core, 0),
      (error) => {
        core.logger.error({ err: error }, 'shutdown failed');
        exitAfterLogs(core, 1);
      },
    );
  });
}

/** A worker that ran this long before crashing starts its backoff again from the shortest delay. */
const STABLE_AFTER_MS = 60_000;

/** Delay before restarting a worker after its n-th crash in a row: 0.25 s, doubling, at most 30 s. */
function restartDelayMs(crashes: number): number {
  return Math.min(250 * 2 ** (crashes - 1), 30_000);
}

function superviseWorkers(core: Core) {
  const count = core.config.server.workers;
  const running = new Set<ChildProcess>();
  const restarts = new Set<ReturnType<typeof setTimeout>>();
  const crashes = new Map<number, number>();
  let stopping = false;
  let failed = false;
  const exitWhenDone = () => {
    if (running.size === 0 && restarts.size === 0) process.exit(failed ? 1 : 0);
  };

  const startWorker = (slot: number) => {
    // Workers rerun this process's own command line, so `elaoms start --config X` and
    // `src/main.ts --config X` both come back as themselves.
    const [command, ...args] = selfCommand(process.argv.slice(2));
    const child = spawn(command!, args, {
      env: { ...process.env, ELAOMS_WORKER: String(slot) },
      stdio: 'inherit',
    });
    const startedAt = Date.now();
    running.add(child);
    child.on('exit', (code, signal) => {
      running.delete(child);
      // Exit 0, or death by the signals we forward, is a requested stop (Deno reports a worker
      // that handled SIGTERM and exited 0 as killed by SIGTERM).
      const requested = code === 0 || signal === 'SIGTERM' || signal === 'SIGINT';
      if (requested) return exitWhenDone();
      const fields = { worker: slot, worker_pid: child.pid, code, signal };
      // Exit code 2 is bad configuration or a port it cannot listen on: a restart would fail the same way.
      if (stopping || code === 2) {
        failed = true;
        core.logger.error(fields, 'worker exited');
        return exitWhenDone();
      }
      const inARow = Date.now() - startedAt >= STABLE_AFTER_MS ? 1 : (crashes.get(slot) ?? 0) + 1;
      crashes.set(slot, inARow);
      const delay = restartDelayMs(inARow);
      core.logger.error({ ...fields, restart_in_ms: delay }, 'worker crashed, restarting it');
      const timer = setTimeout(() => {
        restarts.delete(timer);
        startWorker(slot);
      }, delay);
      restarts.add(timer);
    });
  };

  for (let slot = 1; slot <= count; slot++) startWorker(slot);
  onShutdownSignal((signal) => {
    stopping = true;
    for (const timer of restarts) clearTimeout(timer);
    restarts.clear();
    for (const child of running) child.kill(signal as NodeJS.Signals);
    exitWhenDone();
  });
  core.logger.info({ workers: count }, 'started workers');
}

/** Serves (or supervises WORKERS processes that serve) with the config named by `argv`. */
export async function main(argv: string[]): Promise<void> {
  const core = await build(argv);
  if (core.config.server.workers > 1 && core.config.server.port === 0) {
    console.error(
      'server.workers > 1 needs a fixed port (PORT): with 0 each worker would take its own random port',
    );
    process.exit(2);
  }
  if (core.config.server.workers > 1 && !process.env.ELAOMS_WORKER) {
    await core.stop();
    superviseWorkers(core);
  } else {
    await serveHere(core);
  }
}

if (import.meta.main) await main(process.argv.slice(2));
