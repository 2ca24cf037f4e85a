/**
 * Process entry: `bun run start` (or `deno task start`). With `server.workers` > 1 (WORKERS=N) this
 * process applies migrations once, then starts N worker processes that share the port (reusePort)
 * and the SQLite file (WAL, busy timeout); it forwards SIGTERM/SIGINT to them and exits with them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createApp } from './app.ts';
import { ConfigError } from './config/index.ts';
import type { Core } from './core.ts';
import { onShutdownSignal } from './runtime.ts';
import { banner, serveCore } from './server.ts';

async function build(): Promise<Core> {
  try {
    return await createApp({ argv: process.argv.slice(2) });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

async function serveHere(core: Core) {
  const served = await serveCore(core);
  const worker = process.env.ELAOMS_WORKER;
  if (!worker || worker === '1') console.log(banner(core, served.server.url));
  onShutdownSignal((signal) => {
    core.logger.info({ signal }, 'shutting down');
    served.shutdown().then(
      () => process.exit(0),
      (error) => {
        core.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}

function superviseWorkers(core: Core) {
  const count = core.config.server.workers;
  const children: ChildProcess[] = [];
  for (let i = 1; i <= count; i++) {
    const child = spawn(process.execPath, process.argv.slice(1), {
      env: { ...process.env, ELAOMS_WORKER: String(i) },
      stdio: 'inherit',
    });
    children.push(child);
  }
  let alive = count;
  for (const child of children) {
    child.on('exit', (code) => {
      alive -= 1;
      if (code && code !== 0) core.logger.error({ pid: child.pid, code }, 'worker exited');
      if (alive === 0) process.exit(0);
    });
  }
  onShutdownSignal((signal) => {
    for (const child of children) child.kill(signal as NodeJS.Signals);
  });
  core.logger.info({ workers: count }, 'started workers');
}

const core = await build();
if (core.config.server.workers > 1 && !process.env.ELAOMS_WORKER) {
  await core.stop();
  superviseWorkers(core);
} else {
  await serveHere(core);
}
