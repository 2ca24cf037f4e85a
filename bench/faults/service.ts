/**
 * elaoms as a real subprocess (`bun src/main.ts`) on a fixed port, so it can be SIGKILLed and
 * started again on the same files. Its log lines go to a file per start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitUntil } from './util.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface Service {
  url: string;
  /** How many times the process was started. */
  starts: number;
  start(): Promise<void>;
  /** SIGKILL: no graceful stop, claims and in-flight requests left behind. */
  kill(): Promise<void>;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

function exited(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });
}

export function createService(options: {
  port: number;
  env: Record<string, string>;
  logDir: string;
}): Service {
  let child: ChildProcess | undefined;
  const service: Service = {
    url: `http://127.0.0.1:${options.port}`,
    starts: 0,
    async start() {
      service.starts += 1;
      const log = openSync(join(options.logDir, `service-${service.starts}.log`), 'a');
      child = spawn(process.execPath, [MAIN], {
        env: { ...process.env, ...options.env, HOST: '127.0.0.1', PORT: String(options.port) },
        stdio: ['ignore', log, log],
      });
      const started = child;
      await waitUntil(
        () => {
          if (started.exitCode !== null) throw new Error(`elaoms exited with ${started.exitCode}`);
          return answers(service.url);
        },
        30_000,
        'elaoms did not answer /health within 30 s',
      );
    },
    async kill() {
      if (child) await exited(child, 'SIGKILL');
      child = undefined;
    },
    async stop() {
      if (!child) return null;
      const code = await exited(child, 'SIGTERM');
      child = undefined;
      return code;
    },
  };
  return service;
}
