import { createEmbeddedBackend } from '../../plugins/memory/embedded.ts';
import { createMem0Backend } from '../../plugins/memory/mem0.ts';
import { createOpenMemoryBackend } from '../../plugins/memory/openmemory.ts';
import { systemClock } from '../../src/clock.ts';
import { closeDatabase } from '../../src/db/index.ts';
import { createUpstream } from '../../src/resilience.ts';
import { startMem0Fake } from '../fakes/mem0.ts';
import { startOpenMemoryFake } from '../fakes/openmemory.ts';
import { backendContract } from './contract.ts';
import { memoryDb } from './helpers.ts';

function testUpstream(name: string) {
  return createUpstream({
    name,
    maxRetries: 2,
    baseDelayMs: 5,
    maxDelayMs: 50,
    breakerThreshold: 5,
    halfOpenAfterMs: 1000,
  });
}

backendContract('embedded', async () => {
  const db = memoryDb();
  return {
    backend: createEmbeddedBackend({ db, clock: systemClock }),
    cleanup: async () => closeDatabase(db),
  };
});

backendContract('openmemory (fake, legacy build)', async () => {
  const fake = await startOpenMemoryFake({ apiKey: 'om-test-key' });
  const backend = createOpenMemoryBackend({
    url: fake.url,
    apiKey: 'om-test-key',
    timeoutMs: 2000,
    upstream: testUpstream('openmemory'),
    clock: systemClock,
  });
  return { backend, cleanup: () => fake.close() };
});

backendContract('mem0 oss (fake)', async () => {
  const fake = await startMem0Fake({ flavour: 'oss', apiKey: 'mem0-test-key' });
  const backend = createMem0Backend({
    flavour: 'oss',
    url: fake.url,
    apiKey: 'mem0-test-key',
    timeoutMs: 2000,
    upstream: testUpstream('mem0'),
    clock: systemClock,
  });
  return { backend, cleanup: () => fake.close() };
});

backendContract('mem0 platform (fake)', async () => {
  const fake = await startMem0Fake({ flavour: 'platform', apiKey: 'mem0-platform-key' });
  const backend = createMem0Backend({
    flavour: 'platform',
    url: fake.url,
    apiKey: 'mem0-platform-key',
    timeoutMs: 2000,
    upstream: testUpstream('mem0'),
    clock: systemClock,
  });
  return { backend, cleanup: () => fake.close() };
});
