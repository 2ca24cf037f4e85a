/**
 * Process entry: `bun run start` (or `deno task start`). With `server.workers` > 1 (WORKERS=N) this
 * process applies migrations once, then starts N worker processes that share the port (reusePort)
 * and the SQLite file (WAL, busy timeout); it forwards SIGTERM/SIGINT to them and exits with them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createApp } from './app.ts';
import { ConfigError } from './config/index.ts';
import type { Core } from './core.ts';
import { onShutdownSignal, selfCommand } from './runtime.ts';
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
    const [command, ...args] = selfCommand(process.argv.slice(2));
    const child = spawn(command!, args, {
      env: { ...process.env, ELAOMS_WORKER: String(i) },
      stdio: 'inherit',
    });
    children.push(child);
  }
  let alive = count;
  let failed = false;
  for (const child of children) {
    child.on('exit', (code, signal) => {
      alive -= 1;
      if (code !== 0 && signal === null) {
        failed = true;
        core.logger.error({ worker_pid: child.pid, code }, 'worker exited');
      }
      if (alive === 0) process.exit(failed ? 1 : 0);
    });
  }
  onShutdownSignal((signal) => {
    for (const child of children) child.kill(signal as NodeJS.Signals);
  });
  core.logger.info({ workers: count }, 'started workers');
}

const core = await build();
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
