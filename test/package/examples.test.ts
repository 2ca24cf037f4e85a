import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createShop } from '../../examples/embedding/server.ts';
import { type Core, createApp } from '../../src/index.ts';
import { memoryDestination } from '../../src/log.ts';
import { transcription } from '../agent-memory/payloads.ts';
import { SECRET, signedPost, tableNames, tempDir, WEBHOOK_KEY } from '../embedding/helpers.ts';
import { redisAvailable, uniquePrefix } from '../helpers/redis.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const isDeno = typeof (globalThis as any).Deno !== 'undefined';

/** Starts `src/main.ts --config <file>` in `cwd`; resolves with its URL once the banner is printed. */
function startMain(
  config: string,
  cwd: string,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const runner = isDeno ? ['run', '-A', MAIN] : [MAIN];
  const child = spawn(process.execPath, [...runner, '--config', config], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no banner within 20 s: ${out}`)), 20_000);
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      const url = out.match(/elaoms listening on (http:\/\/\S+)/)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, output: () => out });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
}

describe('examples/self-hosted', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await tempDir('self-hosted');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts from its config file, serves /health, and stops on SIGTERM', async () => {
    const { child, url, output } = await startMain(join(EXAMPLES, 'self-hosted/elaoms.config.json'), dir);
    try {
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      const info = await (await fetch(`${url}/`)).json();
      expect(info.plugins).toContain('agent-memory');
      expect(info.plugins).toContain('kb-sync');
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      child.kill('SIGTERM');
      const code = await exited;
      expect(output()).toContain('"msg":"elaoms stopped"');
      // A Deno parent reports a Deno child that handled SIGTERM and exited 0 as killed by the signal.
      if (!isDeno) expect(code).toBe(0);
    }
    // Relative paths in the file land under the working directory.
    expect(tableNames(join(dir, 'data/elaoms.db'))).toContain('agent_memory_events');
  });
});

describe.skipIf(!redisAvailable)('examples/two-instances (needs Redis)', () => {
  let dir: string;
  const cores: Core[] = [];

  beforeAll(async () => {
    dir = await tempDir('two-instances-example');
  });

  afterAll(async () => {
    for (const core of cores) await core.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads both files, each its own port and database, the same Redis, and both are healthy', async () => {
    const prefix = uniquePrefix('example');
    const files = ['a', 'b'].map((name) => join(EXAMPLES, `two-instances/${name}.config.json`));
    const raw = await Promise.all(files.map(async (file) => JSON.parse(await readFile(file, 'utf8'))));
    expect(raw[0].server.port).not.toBe(raw[1].server.port);
    expect(raw[0].database.path).not.toBe(raw[1].database.path);
    expect(raw[0].storage.path).not.toBe(raw[1].storage.path);
    expect(raw[0].redis).toEqual(raw[1].redis);
    for (const [i, file] of files.entries()) {
      const core = await createApp({
        argv: ['--config', file],
        // Paths and the key prefix moved to this test's temp dir and namespace; the rest from the file.
        env: {
          DATABASE_PATH: join(dir, `${i}.db`),
          WEBHOOK_STORAGE_PATH: join(dir, `${i}/webhooks`),
          WEBHOOK_QUARANTINE_PATH: join(dir, `${i}/quarantine`),
          REDIS_KEY_PREFIX: prefix,
        },
        logDestination: memoryDestination(),
      });
      cores.push(core);
      expect(core.config.server.port).toBe(raw[i].server.port);
      expect(core.config.redis.url).toBe(raw[i].redis.url);
    }
    for (const core of cores) {
      for (let i = 0; i < 300 && core.redis?.status !== 'ready'; i++)
        await new Promise((r) => setTimeout(r, 10));
      const health = await core.handle(new Request('http://localhost/health'));
      expect(health.status).toBe(200);
      const { checks } = await health.json();
      expect(checks.redis.status).toBe('up');
      expect(checks.cache.detail).toBe('redis');
    }
  });
});

describe('examples/embedding', () => {
  let dir: string;
  let shop: Awaited<ReturnType<typeof createShop>>;

  beforeAll(async () => {
    dir = await tempDir('embedding-example');
    shop = await createShop({
      config: {
        database: { path: join(dir, 'shop.db'), migrationsTablePrefix: 'shop_elaoms' },
        storage: { path: join(dir, 'webhooks'), quarantinePath: join(dir, 'quarantine') },
        log: { level: 'warn' },
      },
      env: { ELEVENLABS_WEBHOOK_SECRET: SECRET, WEBHOOK_API_KEYS: `elevenlabs:${WEBHOOK_KEY}` },
    });
    await shop.start();
  });

  afterAll(async () => {
    await shop.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers the shop's own routes and agent-memory's webhooks", async () => {
    const orders = await shop.app.handle(new Request('http://shop.test/orders/1'));
    expect(await orders.json()).toEqual({ id: 1, item: 'tram ticket' });
    const body = transcription({
      conversationId: 'conv_shop',
      summary: 'Asked for a refund of the tram ticket.',
    });
    const posted = await shop.app.handle(await signedPost('http://shop.test/webhooks/post-call', body));
    expect((await posted.json()).status).toBe('received');
    const found = await shop.app.handle(
      new Request('http://shop.test/webhooks/search-data', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': WEBHOOK_KEY },
        body: JSON.stringify({ query: 'refund', user_id: '+15550000001' }),
      }),
    );
    expect((await found.json()).memories_found).toBeGreaterThan(0);
    expect(tableNames(join(dir, 'shop.db')).filter((name) => name.startsWith('shop_elaoms_'))).toContain(
      'shop_elaoms_agent_memory',
    );
  });
});
