/** Starts a server script as a child process and waits for its "ready <port>" line. */
import { type ChildProcess, spawn } from 'node:child_process';

export interface Child {
  port: number;
  process: ChildProcess;
  /** Resident memory of the child in MB (Linux /proc). */
  rssMb(): Promise<number>;
  /**
   * Resident memory once start-up's garbage is collected: read every 500 ms until two readings
   * are within 1 MB (at most 6 s). Right after seeding 100k memories a reading is 60 MB higher.
   */
  rssAtRestMb(): Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

async function rssOf(pid: number | undefined): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

export function startChild(script: string, env: Record<string, string> = {}): Promise<Child> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 60_000);
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.stdout!.on('data', (chunk) => {
      buffer += chunk;
      const match = buffer.match(/ready (\d+)/);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      resolve({
        port: Number(match[1]),
        process: child,
        rssMb: () => rssOf(child.pid),
        async rssAtRestMb() {
          let last = await rssOf(child.pid);
          for (let i = 0; i < 12; i++) {
            await new Promise((wait) => setTimeout(wait, 500));
            const now = await rssOf(child.pid);
            if (Math.abs(now - last) < 1) return now;
            last = now;
          }
          return last;
        },
        stop(signal = 'SIGTERM') {
          return new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.removeAllListeners('exit');
            child.on('exit', () => done());
            child.kill(signal);
          });
        },
      });
    });
  });
}
