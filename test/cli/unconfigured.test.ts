/**
 * First run: `src/main.ts` in an empty folder with no config file and no secrets still starts, its
 * banner names what is not configured, /health answers and the webhook routes refuse with 503.
 */
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMain, stopScript } from '../helpers/process.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'elaoms-unconfigured-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('src/main.ts with no configuration', () => {
  it('starts, lists what is not configured in the banner, answers /health and 503 on webhooks', async () => {
    expect(readdirSync(dir)).toEqual([]);
    // Only PATH, HOME, HOST, PORT=0 and LOG_LEVEL: no config file, no secret, no Redis.
    const started = await startMain([], dir);
    try {
      const banner = started.output().slice(started.output().indexOf('elaoms listening on'));
      const missing = banner.slice(banner.indexOf('not configured:'));
      expect(banner).toContain('not configured:');
      for (const name of [
        'ELEVENLABS_WEBHOOK_SECRET',
        'WEBHOOK_API_KEYS',
        'ADMIN_API_KEYS',
        'ELEVENLABS_API_KEY',
      ]) {
        expect(missing).toContain(name);
      }
      expect(missing).toContain('REDIS_URL not set');

      const health = await fetch(`${started.url}/health`);
      expect(health.status).toBe(200);
      expect((await health.json()).status).toBeDefined();

      const search = await fetch(`${started.url}/webhooks/search-data`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'anything' },
        body: JSON.stringify({ query: 'hello', user_id: '+15550000001' }),
      });
      expect(search.status).toBe(503);
      expect(await search.json()).toEqual({ detail: expect.stringContaining('WEBHOOK_API_KEYS') });
    } finally {
      await stopScript(started);
    }
    expect(started.output()).toContain('"msg":"elaoms stopped"');
  });
});
