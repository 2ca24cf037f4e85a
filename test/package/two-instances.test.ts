import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { type Core, createApp } from '../../src/index.ts';
import { memoryDestination } from '../../src/log.ts';
import { audio, transcription } from '../agent-memory/payloads.ts';
import { SECRET, signedPost, tempDir, WEBHOOK_KEY } from '../embedding/helpers.ts';
import { REDIS_URL, redisAvailable, uniquePrefix } from '../helpers/redis.ts';

const LIMIT = 3;
const MP3 = Buffer.from('ID3 shared across instances').toString('base64');

async function redisReady(core: Core): Promise<void> {
  for (let i = 0; i < 300 && core.redis?.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 10));
  if (core.redis?.status !== 'ready') throw new Error(`redis is ${core.redis?.status}`);
}

/** One instance: all built-in plugins, its own SQLite file and storage dir, the shared Redis. */
async function instance(dir: string, name: string, prefix: string): Promise<Core> {
  const core = await createApp({
    config: {
      database: { path: join(dir, `${name}.db`) },
      redis: { url: REDIS_URL, keyPrefix: prefix },
      hmacAuth: { secrets: [SECRET] },
      headerAuth: { webhookKeys: [`elevenlabs:${WEBHOOK_KEY}`] },
      storage: { path: join(dir, name, 'webhooks'), quarantinePath: join(dir, name, 'quarantine') },
      throttle: { rateLimit: LIMIT },
    },
    env: {},
    logDestination: memoryDestination(),
  });
  await core.start();
  await redisReady(core);
  return core;
}

async function mp3Files(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of ['a', 'b']) {
    const entries = await readdir(join(dir, name, 'webhooks'), { recursive: true }).catch(() => []);
    found.push(
      ...entries
        .map(String)
        .filter((path) => path.endsWith('.mp3'))
        .map((path) => join(dir, name, 'webhooks', path)),
    );
  }
  return found;
}

describe.skipIf(!redisAvailable)('two instances sharing one Redis, each its own SQLite (needs Redis)', () => {
  let dir: string;
  let prefix: string;
  let a: Core;
  let b: Core;

  beforeAll(async () => {
    dir = await tempDir('two-instances');
    prefix = uniquePrefix('two-instances');
    a = await instance(dir, 'a', prefix);
    b = await instance(dir, 'b', prefix);
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    const cleanup = new Redis(REDIS_URL);
    const keys = await cleanup.keys(`${prefix}*`);
    if (keys.length) await cleanup.del(...keys);
    cleanup.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it(`exhausts one rate limit of ${LIMIT} per minute across both instances`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= LIMIT; i++) {
      const core = i % 2 === 0 ? a : b;
      const response = await core.handle(
        new Request('http://localhost/webhooks/search-data', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': WEBHOOK_KEY },
          body: JSON.stringify({ query: 'anything', user_id: '+15550000001' }),
        }),
      );
      statuses.push(response.status);
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(200), 429]);
  });

  it('pairs audio sent to one instance with its transcription sent to the other: one MP3', async () => {
    // A fresh window for the limit exhausted above.
    const limits = await a.redis!.keys(`${prefix}throttle:*`);
    if (limits.length) await a.redis!.del(...limits.map((key) => key.slice(prefix.length)));
    const sentAudio = await a.handle(
      await signedPost('http://localhost/webhooks/post-call', audio('conv_shared', 'agent_test', MP3)),
    );
    expect(sentAudio.status).toBe(200);
    expect(await mp3Files(dir)).toEqual([]);
    const sentText = await b.handle(
      await signedPost(
        'http://localhost/webhooks/post-call',
        transcription({ conversationId: 'conv_shared' }),
      ),
    );
    expect(sentText.status).toBe(200);
    const saved = await mp3Files(dir);
    expect(saved.length).toBe(1);
    expect(saved[0]).toContain('conv_shared_post_call_audio.mp3');
    expect(await readFile(saved[0]!, 'utf8')).toBe('ID3 shared across instances');
  });
});
