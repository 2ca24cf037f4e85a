/** For tests that start elaoms as a real process: a free port, the runtime's command line, its JSON log lines. */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

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

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Arguments after `process.execPath` that run `script` with the runtime running the tests. */
export function runnerArgs(script: string): string[] {
  return typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined' ? ['run', '-A', script] : [script];
}

/** Pushes every JSON line the child writes to stdout onto `lines` (banner lines and partial writes skipped). */
export function collectJsonLines(child: ChildProcess, lines: Array<Record<string, any>>): void {
  let buffer = '';
  child.stdout!.on('data', (chunk) => {
    buffer += String(chunk);
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const part of parts) {
      if (!part.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(part));
      } catch {
        // a partial write
      }
    }
  });
}
