import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Elysia } from 'elysia';
import { storage, storagePlugin } from '../../plugins/storage/index.ts';
import { ConfigError } from '../../src/config/index.ts';
import { memoryDestination } from '../../src/log.ts';
import { testCore } from '../helpers/core.ts';
import { transcription } from './helpers.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'elaoms-storage-plugin-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const section = () => ({ path: join(root, 'w'), quarantinePath: join(root, 'w', 'quarantine') });

describe('storage plugin', () => {
  it('mounts alone in a plain Elysia host next to its own route, the service as `storage`', async () => {
    const mounted = await storage({
      config: { database: { path: ':memory:' }, log: { level: 'silent' }, storage: section() },
    });
    const host = new Elysia()
      .get('/host', () => 'host route')
      .use(mounted)
      .post('/save', async ({ storage, request }) => {
        const saved = await storage.save({
          webhookType: 'post_call_transcription',
          conversationId: 'conv_h',
          callerPhone: '+1',
          validated: false,
          body: new Uint8Array(await request.arrayBuffer()),
          ext: 'json',
        });
        return { path: saved?.path };
      });
    expect(await (await host.handle(new Request('http://localhost/host'))).text()).toBe('host route');
    const res = await host.handle(new Request('http://localhost/save', { method: 'POST', body: '{"a":1}' }));
    const { path } = (await res.json()) as { path: string };
    expect(path).toBe(join(root, 'w', '+1', 'conv_h_post_call_transcription.json'));
    expect(await readFile(path, 'utf8')).toBe('{"a":1}');
  });

  it('reports a storage check in /health, down after a write failure, with the app still 200', async () => {
    const t = await testCore({ plugins: [storagePlugin], config: { storage: section() } });
    const ok = (await (await t.request('/health')).json()) as any;
    expect(ok.checks.storage).toMatchObject({ status: 'up', required: false });

    // A file where a caller folder must go makes that save fail.
    await writeFile(join(root, 'w', '+9'), 'x');
    const failed = await t.core.service<any>('storage').save({
      webhookType: 'post_call_transcription',
      conversationId: 'c',
      callerPhone: '+9',
      validated: true,
      body: transcription('c'),
      ext: 'json',
    });
    expect(failed).toBeNull();
    const res = await t.request('/health');
    const body = (await res.json()) as any;
    const check = body.checks.storage;
    expect(check.status).toBe('down');
    expect(check.detail).toContain('recent write failure');
    expect(res.status).toBe(200);
    expect(await t.core.metrics.metrics()).toContain('elaoms_storage_failures_total{op="save"} 1');
    await t.core.stop();
  });

  it('stops start-up naming the key when a folder cannot be created', async () => {
    await writeFile(join(root, 'file'), 'x');
    let error: unknown;
    try {
      await testCore({ plugins: [storagePlugin], config: { storage: { path: join(root, 'file', 'w') } } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('storage.path');
    expect((error as Error).message).toContain('WEBHOOK_STORAGE_PATH');
  });

  it('logs no secret: the encryption key never reaches a log line', async () => {
    const destination = memoryDestination();
    const key = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
    const { createCore } = await import('../../src/core.ts');
    const core = await createCore({
      plugins: [storagePlugin],
      config: { database: { path: ':memory:' }, storage: { ...section(), encryptionEnabled: true } },
      env: { ENCRYPTION_KEY: key },
      logDestination: destination,
    });
    await core.start();
    await core.service<any>('storage').save({
      webhookType: 'post_call_transcription',
      conversationId: 'c',
      validated: true,
      body: transcription('c'),
      ext: 'json',
    });
    await core.stop();
    expect(JSON.stringify(destination.lines)).not.toContain(key);
  });
});
