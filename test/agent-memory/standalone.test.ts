import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Elysia } from 'elysia';
import { agentMemoryPlugin } from '../../plugins/agent-memory/index.ts';
import { sign } from '../../plugins/hmac-auth/index.ts';
import { type Embedded, embed } from '../../src/embed.ts';
import { memoryDestination } from '../../src/log.ts';
import { coreConfig, neededPlugins, SECRET, tempDir, WEBHOOK_KEY } from './harness.ts';
import { transcription } from './payloads.ts';

describe('agent-memory mounted alone in a plain Elysia host', () => {
  let dir: string;
  let mounted: Embedded;
  let host: Elysia;
  const logs = memoryDestination();

  beforeAll(async () => {
    dir = await tempDir();
    const { database: _db, ...config } = coreConfig(dir);
    mounted = await embed([agentMemoryPlugin], {
      config: { ...config, database: { path: join(dir, 'host.db') } },
      available: neededPlugins,
      logDestination: logs,
    });
    await mounted.start();
    host = new Elysia().get('/host', () => ({ host: true })).use(mounted.app);
  });

  afterAll(async () => {
    await mounted.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps the host's own route", async () => {
    const response = await host.handle(new Request('http://host/host'));
    expect(await response.json()).toEqual({ host: true });
  });

  it('serves post-call and search-data under the host', async () => {
    const raw = new TextEncoder().encode(
      JSON.stringify(
        transcription({ conversationId: 'conv_host', summary: 'Asked about the tram timetable.' }),
      ),
    );
    const posted = await host.handle(
      new Request('http://host/webhooks/post-call', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'elevenlabs-signature': await sign(SECRET, raw, Math.floor(Date.now() / 1000)),
        },
        body: raw,
      }),
    );
    expect((await posted.json()).status).toBe('received');
    const found = await host.handle(
      new Request('http://host/webhooks/search-data', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': WEBHOOK_KEY },
        body: JSON.stringify({ query: 'tram timetable', user_id: '+15550000001' }),
      }),
    );
    expect((await found.json()).memories_found).toBeGreaterThan(0);
    // No access line of ours under a host: the search logs its own line.
    expect(logs.lines.find((l) => l.msg === 'memory search')).toMatchObject({ found: 1, limit: 5 });
  });
});
