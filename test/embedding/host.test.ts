import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type AnyElysia, Elysia } from 'elysia';
import { agentMemoryPlugin } from '../../plugins/agent-memory/index.ts';
import { cachePlugin } from '../../plugins/cache/index.ts';
import { headerAuthPlugin } from '../../plugins/header-auth/index.ts';
import { hmacAuth, hmacAuthPlugin } from '../../plugins/hmac-auth/index.ts';
import { memoryPlugin } from '../../plugins/memory/index.ts';
import { storagePlugin } from '../../plugins/storage/index.ts';
import { type Embedded, embed } from '../../src/index.ts';
import { memoryDestination } from '../../src/log.ts';
import { transcription } from '../agent-memory/payloads.ts';
import { SECRET, signedPost, tableNames, tempDir, WEBHOOK_KEY, withDb } from './helpers.ts';

const HOST_SECRET = 'wsec_the_host_own_secret';

describe('a host Elysia app mounting hmac-auth and agent-memory (own database file, prefixed migrations)', () => {
  let dir: string;
  let dbPath: string;
  let memory: Embedded;
  let host: AnyElysia;

  beforeAll(async () => {
    dir = await tempDir('embedding');
    dbPath = join(dir, 'host.db');
    // The host's own table, there before elaoms.
    withDb(dbPath, (db) => {
      db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL)');
      db.prepare('INSERT INTO orders (item) VALUES (?)').run('tram ticket');
    });
    const database = { path: dbPath, migrationsTablePrefix: 'host_elaoms' };
    const signatures = await hmacAuth({
      config: { database, hmacAuth: { secrets: [HOST_SECRET] } },
      logDestination: memoryDestination(),
    });
    memory = await embed([agentMemoryPlugin], {
      available: [hmacAuthPlugin, headerAuthPlugin, storagePlugin, cachePlugin, memoryPlugin],
      config: {
        database,
        hmacAuth: { secrets: [SECRET] },
        headerAuth: { webhookKeys: [`elevenlabs:${WEBHOOK_KEY}`] },
        storage: { path: join(dir, 'webhooks'), quarantinePath: join(dir, 'quarantine') },
      },
      logDestination: memoryDestination(),
    });
    // app.handle never fires onStart: the host drives the lifecycle itself.
    await memory.start();
    host = new Elysia()
      .get('/host', () => ({ host: true }))
      .get('/host/boom', function boom() {
        throw new Error('host failure');
      })
      .use(signatures)
      .post('/host/hooks', ({ body }) => ({ got: (body as { type: string }).type }), {
        elevenlabsSignature: true,
      })
      .use(memory.app);
  });

  afterAll(async () => {
    await memory.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps answering the host's own routes, untouched by our error mapping", async () => {
    const own = await host.handle(new Request('http://host.test/host'));
    expect(await own.json()).toEqual({ host: true });
    const unknown = await host.handle(new Request('http://host.test/nowhere'));
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe('NOT_FOUND');
    const failed = await host.handle(new Request('http://host.test/host/boom'));
    expect(failed.status).toBe(500);
    expect(await failed.text()).toBe('host failure');
  });

  it("signs the host's own route with hmac-auth's macro and the host's secret", async () => {
    const ok = await host.handle(await signedPost('http://host.test/host/hooks', { type: 'x' }, HOST_SECRET));
    expect(await ok.json()).toEqual({ got: 'x' });
    const wrong = await host.handle(await signedPost('http://host.test/host/hooks', { type: 'x' }, SECRET));
    expect(wrong.status).toBe(401);
  });

  it('stores a signed post-call in the shared database file and finds it again', async () => {
    const body = transcription({
      conversationId: 'conv_host_db',
      summary: 'Asked about the ferry timetable.',
    });
    const posted = await host.handle(await signedPost('http://host.test/webhooks/post-call', body));
    expect(posted.status).toBe(200);
    expect((await posted.json()).status).toBe('received');
    const rows = withDb(dbPath, (db) =>
      db
        .prepare('SELECT type, status FROM agent_memory_events WHERE conversation_id = ?')
        .all('conv_host_db'),
    );
    expect(rows).toEqual([{ type: 'post_call_transcription', status: 'delivered' }]);
    const found = await host.handle(
      new Request('http://host.test/webhooks/search-data', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': WEBHOOK_KEY },
        body: JSON.stringify({ query: 'ferry timetable', user_id: '+15550000001' }),
      }),
    );
    expect((await found.json()).memories_found).toBeGreaterThan(0);
  });

  it("refuses a post-call signed with the host's secret: each mount keeps its own config", async () => {
    const body = transcription({ conversationId: 'conv_wrong_secret' });
    const posted = await host.handle(
      await signedPost('http://host.test/webhooks/post-call', body, HOST_SECRET),
    );
    expect(posted.status).toBe(401);
  });

  it('records migrations in tables named with the prefix, and leaves the host table alone', () => {
    const tables = tableNames(dbPath);
    const migrations = tables.filter((name) => name.startsWith('host_elaoms_'));
    expect(migrations).toEqual([
      'host_elaoms_agent_memory',
      'host_elaoms_core',
      'host_elaoms_memory',
      'host_elaoms_storage',
    ]);
    expect(tables.filter((name) => name.startsWith('__elaoms'))).toEqual([]);
    const orders = withDb(dbPath, (db) => db.prepare('SELECT id, item FROM orders').all());
    expect(orders).toEqual([{ id: 1, item: 'tram ticket' }]);
  });
});
