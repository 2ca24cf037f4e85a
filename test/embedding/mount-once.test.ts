import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Elysia } from 'elysia';
import { agentMemoryPlugin } from '../../plugins/agent-memory/index.ts';
import { cachePlugin } from '../../plugins/cache/index.ts';
import { headerAuthPlugin } from '../../plugins/header-auth/index.ts';
import { hmacAuthPlugin } from '../../plugins/hmac-auth/index.ts';
import { memoryPlugin } from '../../plugins/memory/index.ts';
import { storagePlugin } from '../../plugins/storage/index.ts';
import { type Embedded, embed, type PluginDefinition } from '../../src/index.ts';
import { memoryDestination } from '../../src/log.ts';
import { transcription } from '../agent-memory/payloads.ts';
import { SECRET, signedPost, tempDir } from './helpers.ts';

const NEEDED = [hmacAuthPlugin, headerAuthPlugin, storagePlugin, cachePlugin, memoryPlugin];

function routeCounts(app: { routes: Array<{ method: string; path: string }> }) {
  const counts: Record<string, number> = {};
  for (const route of app.routes)
    counts[`${route.method} ${route.path}`] = (counts[`${route.method} ${route.path}`] ?? 0) + 1;
  return counts;
}

describe('mounting a plugin twice registers it once', () => {
  let dir: string;
  const mounted: Embedded[] = [];

  async function mount(plugins: PluginDefinition<any, any>[] = [agentMemoryPlugin]) {
    const embedded = await embed(plugins, {
      available: NEEDED,
      config: {
        database: { path: join(dir, 'app.db') },
        hmacAuth: { secrets: [SECRET] },
        storage: { path: join(dir, 'webhooks'), quarantinePath: join(dir, 'quarantine') },
      },
      logDestination: memoryDestination(),
    });
    mounted.push(embedded);
    await embedded.start();
    return embedded;
  }

  beforeAll(async () => {
    dir = await tempDir('mount-once');
  });

  afterAll(async () => {
    for (const embedded of mounted) await embedded.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('registers each route once when the same mount is used twice', async () => {
    const { app } = await mount();
    const host = new Elysia()
      .get('/host', () => 'ok')
      .use(app)
      .use(app);
    const counts = routeCounts(host);
    expect(counts['POST /webhooks/post-call']).toBe(1);
    expect(Object.values(counts).every((n) => n === 1)).toBe(true);
    const posted = await host.handle(
      await signedPost('http://host.test/webhooks/post-call', transcription()),
    );
    expect((await posted.json()).status).toBe('received');
  });

  it('keeps the first of two mounts built from the same plugin and config', async () => {
    const first = await mount();
    const second = await mount();
    const host = new Elysia().use(first.app).use(second.app);
    expect(routeCounts(host)['POST /webhooks/post-call']).toBe(1);
    expect(host.routes.length).toBe(first.app.routes.length);
  });

  it('creates a plugin once when it is listed and also needed', async () => {
    const embedded = await mount([agentMemoryPlugin, hmacAuthPlugin, storagePlugin]);
    expect(embedded.core.plugins.filter((name) => name === 'hmac-auth')).toEqual(['hmac-auth']);
    expect([...embedded.core.plugins].sort()).toEqual([
      'agent-memory',
      'cache',
      'header-auth',
      'hmac-auth',
      'memory',
      'storage',
    ]);
  });

  it('refuses a plugin whose needs it was not given, naming the missing one', async () => {
    await expect(embed([agentMemoryPlugin], { config: { database: { path: ':memory:' } } })).rejects.toThrow(
      'agent-memory needs hmac-auth: pass its definition in `available`',
    );
  });
});
