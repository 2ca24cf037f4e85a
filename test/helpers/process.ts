/** For tests that start elaoms as a real process: a free port, the runtime's command line, its JSON log lines. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** A port nothing listens on right now (the kernel's pick, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

import { waitUntil } from './wait.ts';

export { sleep } from './wait.ts';

/** Arguments after `process.execPath` that run `script` with the runtime running the tests. */
export function runnerArgs(script: string): string[] {
  return typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined' ? ['run', '-A', script] : [script];
}

/** Calls `onLine` with every JSON line the child writes to stdout (banner lines and partial writes skipped). */
export function onJsonLines(child: ChildProcess, onLine: (line: Record<string, any>) => void): void {
  let buffer = '';
  child.stdout!.on('data', (chunk) => {
    buffer += String(chunk);
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const part of parts) {
      if (!part.startsWith('{')) continue;
      let line: Record<string, any>;
      try {
        line = JSON.parse(part);
      } catch {
        continue; // a partial write
      }
      onLine(line);
    }
  });
}

/** Pushes every JSON line the child writes to stdout onto `lines`. */
export function collectJsonLines(child: ChildProcess, lines: Array<Record<string, any>>): void {
  onJsonLines(child, (line) => lines.push(line));
}

/** A script started by `startScript`: its URL (from the ready line) and all it printed so far. */
export interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/**
 * Runs `script args` with the test's runtime in `cwd`, with PATH, HOME and `env` only; resolves once
 * stdout or stderr has a line matching `ready` (its first group is the URL), rejects if it exits first.
 */
export function startScript(
  script: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; ready: RegExp },
): Promise<Started> {
  const child = spawn(process.execPath, [...runnerArgs(script), ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`not ready within 20 s: ${out}`)), 20_000);
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      const url = out.match(options.ready)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, output: () => out });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}: ${out}`));
    });
  });
}

/**
 * Waits until `child` answers 200 on `/health` at `port` and `ready()` holds, within 20 s; fails
 * with the child's output if it exits first or the time runs out.
 */
export async function untilHealthy(
  child: ChildProcess,
  port: number,
  output: () => string,
  ready: () => boolean = () => true,
): Promise<void> {
  const healthy = async () => {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${output()}`);
    const status = await fetch(`http://127.0.0.1:${port}/health`).then(
      (response) => response.arrayBuffer().then(() => response.status),
      () => 0,
    );
    return status === 200 && ready();
  };
  if (!(await waitUntil(healthy, { withinMs: 20_000, everyMs: 50 }))) {
    throw new Error(`/health did not answer 200 within 20 s: ${output()}`);
  }
}

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** `src/main.ts args` in `cwd` on 127.0.0.1 (PORT 0 unless `env` says), resolved at its banner. */
export function startMain(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Started> {
  return startScript(MAIN, args, {
    cwd,
    env: { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    ready: /elaoms listening on (http:\/\/\S+)/,
  });
}

/**
 * Sends SIGTERM and waits for the exit. The code is null under Deno, which reports a Deno child that
 * handled SIGTERM and exited 0 as killed by the signal.
 */
export async function stopScript({ child }: Started): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  child.kill('SIGTERM');
  return await exited;
}
