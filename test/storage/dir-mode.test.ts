/**
 * DIR_PERMISSIONS_MODE applies from start-up (DEP-1.4, SEC-4.2): the storage and quarantine folders,
 * and the parents start-up creates for them, have the configured mode before any payload is written.
 */
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMain, stopScript } from '../helpers/process.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'elaoms-dir-mode-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;

describe('storage folders at start-up', () => {
  it('have DIR_PERMISSIONS_MODE (0770, which the usual umask 022 would narrow) before any write', async () => {
    const started = await startMain([], dir, {
      DIR_PERMISSIONS_MODE: '0770',
      WEBHOOK_STORAGE_PATH: 'store/payloads',
      WEBHOOK_QUARANTINE_PATH: 'store/held/quarantine',
    });
    try {
      expect((await fetch(`${started.url}/health`)).status).toBe(200);
      for (const folder of ['store', 'store/payloads', 'store/held', 'store/held/quarantine']) {
        expect({ folder, mode: mode(join(dir, folder)).toString(8) }).toEqual({ folder, mode: '770' });
      }
      // Nothing was written yet: the folders are empty.
      expect(readdirSync(join(dir, 'store/payloads'))).toEqual([]);
      expect(readdirSync(join(dir, 'store/held/quarantine'))).toEqual([]);
    } finally {
      await stopScript(started);
    }
  });
});
