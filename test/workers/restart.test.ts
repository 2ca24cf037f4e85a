/**
 * The WORKERS supervisor restarts a worker that crashes: `src/main.ts` with WORKERS=2 runs as a
 * real process, one worker is killed with SIGKILL, the supervisor logs the crash, starts a
 * replacement that serves requests, and SIGTERM still stops every worker cleanly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/process.ts';
import { type Supervisor, startWorkers } from './supervisor.ts';

/** GET /health on a new connection each time, so the kernel picks a worker afresh. */
function health(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/health', agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    }).on('error', reject);
  });
}

describe('WORKERS=2: a crashed worker is restarted', () => {
  let dir: string;
  let port: number;
  let supervisor: Supervisor;
  const started = () => supervisor.started();
  const until = (what: string, done: () => boolean) => supervisor.until(what, done);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'elaoms-restart-'));
    port = await freePort();
    supervisor = startWorkers(dir, port, { REDIS_URL: '' });
    await supervisor.bothStarted();
  });

  afterAll(async () => {
    if (supervisor.child.exitCode === null && supervisor.child.signalCode === null)
      supervisor.child.kill('SIGKILL');
    // After a failure, workers the supervisor left behind would keep running.
    for (const pid of started()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('logs the crash, starts a replacement that serves, and stops all on SIGTERM', async () => {
    const [victim, survivor] = started();
    process.kill(victim!, 'SIGKILL');

    await until('a crash line', () =>
      supervisor.lines.some((l) => l.msg === 'worker crashed, restarting it'),
    );
    const crash = supervisor.lines.find((l) => l.msg === 'worker crashed, restarting it')!;
    expect(crash.level).toBe('error');
    expect(crash.worker_pid).toBe(victim);
    expect(crash.signal).toBe('SIGKILL');
    expect(crash.pid).toBe(supervisor.child.pid);

    await until('a replacement worker', () => started().length >= 3);
    const replacement = started()[2]!;
    expect([victim, survivor, supervisor.child.pid]).not.toContain(replacement);

    // The replacement answers: fresh connections until one reaches it (reusePort spreads them).
    const servedBy = () =>
      new Set(supervisor.lines.filter((l) => l.msg === 'request' && l.path === '/health').map((l) => l.pid));
    for (let i = 0; i < 400 && !servedBy().has(replacement); i++) expect(await health(port)).toBe(200);
    await until('the replacement serving', () => servedBy().has(replacement));
    expect(servedBy().has(victim)).toBe(false);

    // 'close', not 'exit': the workers' last lines may still be in the pipe when the supervisor exits.
    const exited = new Promise<void>((resolve) => supervisor.child.once('close', () => resolve()));
    supervisor.child.kill('SIGTERM');
    await exited;
    const stopped = new Set(supervisor.lines.filter((l) => l.msg === 'elaoms stopped').map((l) => l.pid));
    expect(stopped.has(replacement)).toBe(true);
    expect(stopped.has(survivor)).toBe(true);
    expect(supervisor.lines.filter((l) => l.msg === 'worker crashed, restarting it').length).toBe(1);
  }, 60_000);
});
