/** `src/main.ts` with WORKERS=2 as a real process, for the worker tests: started, its JSON lines kept. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectJsonLines, runnerArgs } from '../helpers/process.ts';
import { eventually } from '../helpers/wait.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface Supervisor {
  child: ChildProcess;
  lines: Array<Record<string, any>>;
  /** Pids of the workers that logged "elaoms started", in order (a restarted worker adds its own). */
  started(): number[];
  /** Polls every 50 ms until `done`; throws when the supervisor exits or 20 s pass. */
  until(what: string, done: () => boolean): Promise<void>;
  /** Resolves once both workers have logged "elaoms started". */
  bothStarted(): Promise<void>;
}

/**
 * Starts two workers on `port` with their database and folders under `dir`. Returns at once, so a test
 * holds the child (and can kill what started) even when the start then fails; await `bothStarted()`.
 */
export function startWorkers(dir: string, port: number, env: Record<string, string>): Supervisor {
  const child = spawn(process.execPath, runnerArgs(MAIN), {
    env: {
      ...process.env,
      WORKERS: '2',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_PATH: join(dir, 'elaoms.db'),
      WEBHOOK_STORAGE_PATH: join(dir, 'webhooks'),
      WEBHOOK_QUARANTINE_PATH: join(dir, 'webhooks', 'quarantine'),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, any>> = [];
  collectJsonLines(child, lines);
  child.stderr!.resume();
  const started = () => lines.filter((l) => l.msg === 'elaoms started').map((l) => l.pid as number);
  function until(what: string, done: () => boolean) {
    const alive = () => {
      if (child.exitCode !== null) throw new Error(`supervisor exited with ${child.exitCode}`);
      return done();
    };
    return eventually(what, alive, { withinMs: 20_000, everyMs: 50 });
  }
  const bothStarted = () => until('two workers starting', () => new Set(started()).size >= 2);
  return { child, lines, started, until, bothStarted };
}
