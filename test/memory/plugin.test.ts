/** The memory plugin in the core and alone: backend selection, health, notices, the `memory` decorator. */
import { describe, expect, it } from 'bun:test';
import { Elysia } from 'elysia';
import { memory, memoryPlugin } from '../../plugins/memory/index.ts';
import type { MemoryBackend } from '../../plugins/memory/types.ts';
import { startOpenMemoryFake } from '../fakes/openmemory.ts';
import { testCore } from '../helpers/core.ts';
import { conversation } from './helpers.ts';

describe('memory plugin', () => {
  it('uses the embedded backend by default and reports it healthy', async () => {
    const { core, request } = await testCore({ plugins: [memoryPlugin] });
    const backend = core.service<MemoryBackend>('memory');
    expect(backend.name).toBe('embedded');
    await backend.storeConversation({ userId: '+1555' }, conversation('c1', 'remember the blue umbrella'));
    expect((await backend.search({ userId: '+1555' }, 'umbrella')).length).toBe(1);
    const res = await request('/health');
    expect(res.status).toBe(200);
    expect((await res.json()).checks.memory.status).toBe('up');
    await core.stop();
  });

  it('answers down naming the setting when the selected backend has no key, without falling back', async () => {
    const { core, request } = await testCore({
      plugins: [memoryPlugin],
      env: { MEMORY_BACKEND: 'openmemory' },
    });
    const res = await request('/health');
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.checks.memory.status).toBe('down');
    expect(body.checks.memory.detail).toContain('OPENMEMORY_API_KEY');
    expect(core.notices.some((line) => line.includes('OPENMEMORY_API_KEY'))).toBe(true);
    const backend = core.service<MemoryBackend>('memory');
    await expect(backend.search({ userId: 'x' }, 'y')).rejects.toThrow(
      'OPENMEMORY_API_KEY is not configured',
    );
    await core.stop();
  });

  it('reaches OpenMemory with the URL and key from the environment', async () => {
    const fake = await startOpenMemoryFake({ apiKey: 'env-key' });
    const { core, request, logs } = await testCore({
      plugins: [memoryPlugin],
      env: { MEMORY_BACKEND: 'openmemory', OPENMEMORY_URL: fake.url, OPENMEMORY_API_KEY: 'env-key' },
    });
    expect((await (await request('/health')).json()).checks.memory.status).toBe('up');
    await core
      .service<MemoryBackend>('memory')
      .storeConversation({ userId: '+1' }, conversation('c', 'hello there friend'));
    expect(fake.store.memories.size).toBeGreaterThan(0);
    expect(JSON.stringify(logs)).not.toContain('env-key');
    await core.stop();
    await fake.close();
  });

  it('picks OpenMemory when only its URL and key are set, as the predecessor was configured', async () => {
    const fake = await startOpenMemoryFake({ apiKey: 'auto-key' });
    const { core } = await testCore({
      plugins: [memoryPlugin],
      env: { OPENMEMORY_URL: fake.url, OPENMEMORY_API_KEY: 'auto-key' },
    });
    const backend = core.service<MemoryBackend>('memory');
    expect(backend.name).toBe('openmemory');
    await backend.storeConversation({ userId: '+1' }, conversation('c', 'hello there friend'));
    expect(fake.store.memories.size).toBeGreaterThan(0);
    await core.stop();
    await fake.close();
  });

  it('refuses to guess when both remote keys are set and MEMORY_BACKEND is auto', async () => {
    const boot = testCore({
      plugins: [memoryPlugin],
      env: { OPENMEMORY_API_KEY: 'one-key', MEM0_API_KEY: 'other-key' },
    });
    const error = await boot.then(
      () => null,
      (caught: unknown) => caught as { name: string; issues: Array<{ key: string; source: string }> },
    );
    expect(error?.name).toBe('ConfigError');
    expect(error?.issues[0]).toMatchObject({ key: 'memory.backend', source: 'default' });
    expect(JSON.stringify(error)).not.toContain('one-key');
  });

  it('keeps the embedded backend when MEMORY_BACKEND says so, whatever keys are set', async () => {
    const { core } = await testCore({
      plugins: [memoryPlugin],
      env: { MEMORY_BACKEND: 'embedded', OPENMEMORY_API_KEY: 'unused-key' },
    });
    expect(core.service<MemoryBackend>('memory').name).toBe('embedded');
    await core.stop();
  });

  it('mounts alone in a host app that keeps its own routes', async () => {
    const mounted = await memory({ config: { database: { path: ':memory:' } } });
    const host = new Elysia()
      .use(mounted)
      .get('/host', () => 'host route')
      .get('/remembered', async ({ memory: backend }) => {
        const store = backend as MemoryBackend;
        await store.storeConversation({ userId: 'h' }, conversation('hc', 'the garden gate is green'));
        return (await store.search({ userId: 'h' }, 'garden gate'))[0]?.text ?? '';
      });
    expect(await (await host.handle(new Request('http://localhost/host'))).text()).toBe('host route');
    expect(await (await host.handle(new Request('http://localhost/remembered'))).text()).toContain(
      'garden gate',
    );
  });
});
