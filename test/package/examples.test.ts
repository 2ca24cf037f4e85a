import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createShop } from '../../examples/embedding/server.ts';
import { transcription } from '../agent-memory/payloads.ts';
import { SECRET, signedPost, tableNames, tempDir, WEBHOOK_KEY } from '../embedding/helpers.ts';
import { freePort, type Started, sleep, startMain, startScript, stopScript } from '../helpers/process.ts';
import { redisAvailable, uniquePrefix } from '../helpers/redis.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const SHOP = join(EXAMPLES, 'embedding/server.ts');
const isDeno = typeof (globalThis as any).Deno !== 'undefined';

/** Sends SIGTERM and checks the process logged its stop and exited 0. */
async function stop(started: Started): Promise<void> {
  const code = await stopScript(started);
  expect(started.output()).toContain('"msg":"elaoms stopped"');
  if (!isDeno) expect(code).toBe(0);
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
    const started = await startMain(['--config', join(EXAMPLES, 'self-hosted/elaoms.config.json')], dir);
    try {
      const health = await fetch(`${started.url}/health`);
      expect(health.status).toBe(200);
      const info = await (await fetch(`${started.url}/`)).json();
      expect(info.plugins).toContain('agent-memory');
      expect(info.plugins).toContain('kb-sync');
    } finally {
      await stop(started);
    }
    // Relative paths in the file land under the working directory.
    expect(tableNames(join(dir, 'data/elaoms.db'))).toContain('agent_memory_events');
  });
});

/** /health of `url` once its Redis connection is up (the client connects after start). */
async function healthWithRedis(url: string): Promise<{ status: number; checks: Record<string, any> }> {
  for (let i = 0; ; i++) {
    const response = await fetch(`${url}/health`);
    const { checks } = await response.json();
    if (checks.redis?.status === 'up' || i >= 300) return { status: response.status, checks };
    await sleep(10);
  }
}

describe.skipIf(!redisAvailable)('examples/two-instances (needs Redis)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await tempDir('two-instances-example');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts both files as processes, each its own port and database, the same Redis, both healthy', async () => {
    const files = ['a', 'b'].map((name) => join(EXAMPLES, `two-instances/${name}.config.json`));
    const raw = await Promise.all(files.map(async (file) => JSON.parse(await readFile(file, 'utf8'))));
    expect(raw[0].server.port).not.toBe(raw[1].server.port);
    expect(raw[0].database.path).not.toBe(raw[1].database.path);
    expect(raw[0].storage.path).not.toBe(raw[1].storage.path);
    expect(raw[0].redis).toEqual(raw[1].redis);
    // Free ports instead of the files' 8001/8002, this test's key namespace; the rest from the files.
    const shared: Record<string, string> = { REDIS_KEY_PREFIX: uniquePrefix('example') };
    if (process.env.TEST_REDIS_URL) shared.REDIS_URL = process.env.TEST_REDIS_URL;
    const started: Started[] = [];
    try {
      for (const file of files) {
        const port = String(await freePort());
        started.push(await startMain(['--config', file], dir, { ...shared, PORT: port }));
        expect(started.at(-1)!.url).toBe(`http://127.0.0.1:${port}`);
      }
      for (const { url } of started) {
        const { status, checks } = await healthWithRedis(url);
        expect(status).toBe(200);
        expect(checks.redis.status).toBe('up');
        expect(checks.cache.detail).toBe('redis');
      }
    } finally {
      for (const one of started) await stop(one);
    }
    // Each instance its own SQLite file, from the relative paths in its file.
    for (const config of raw)
      expect(tableNames(join(dir, config.database.path))).toContain('agent_memory_events');
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

describe('examples/embedding/server.ts run as a script', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await tempDir('embedding-script');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the shop route and a signed post-call on PORT, and stops on SIGTERM', async () => {
    const port = await freePort();
    const started = await startScript(SHOP, [], {
      cwd: dir,
      env: {
        PORT: String(port),
        ELEVENLABS_WEBHOOK_SECRET: SECRET,
        WEBHOOK_API_KEYS: `elevenlabs:${WEBHOOK_KEY}`,
        LOG_LEVEL: 'info',
      },
      ready: /shop listening on (http:\/\/\S+)/,
    });
    try {
      expect(started.url).toBe(`http://localhost:${port}`);
      const base = `http://127.0.0.1:${port}`;
      const order = await fetch(`${base}/orders/1`);
      expect(order.status).toBe(200);
      expect(await order.json()).toEqual({ id: 1, item: 'tram ticket' });
      const body = transcription({ conversationId: 'conv_script', summary: 'Lost the tram ticket.' });
      const posted = await fetch(await signedPost(`${base}/webhooks/post-call`, body));
      expect(posted.status).toBe(200);
      expect((await posted.json()).status).toBe('received');
    } finally {
      await stop(started);
    }
    // The example's relative database path, under the working directory, with the host's own tables.
    expect(tableNames(join(dir, 'data/shop.db'))).toContain('shop_elaoms_agent_memory');
  });
});
