/**
 * A process that exits right after `core.stop()` keeps its last log line ("elaoms stopped"): the
 * stop waits for the write in flight, which an exit would drop (pino's exit hook skips it). Without
 * that wait about 4 runs in 10 lost the line.
 */
import { describe, expect, it } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runnerArgs } from '../helpers/process.ts';

const SCRIPT = fileURLToPath(new URL('./scripts/stop-then-exit.ts', import.meta.url));

describe('log lines at stop', () => {
  it('writes "elaoms stopped" before a host exits right after stop(), every time', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stop-logs-'));
    const missing: number[] = [];
    for (let run = 0; run < 8; run++) {
      const result = spawnSync(process.execPath, runnerArgs(SCRIPT), {
        encoding: 'utf8',
        timeout: 30_000,
        env: {
          ...process.env,
          DATABASE_PATH: join(dir, `run${run}.db`),
          WEBHOOK_STORAGE_PATH: join(dir, `webhooks${run}`),
          LOG_LEVEL: 'info',
          NO_COLOR: '1',
        },
      });
      expect(result.status).toBe(0);
      if (!result.stdout.includes('"msg":"elaoms stopped"')) missing.push(run);
    }
    expect(missing).toEqual([]);
  }, 60_000);
});
