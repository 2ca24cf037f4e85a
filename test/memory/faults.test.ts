/**
 * The remote clients under faults, against the real fakes: what is retried (429 after Retry-After,
 * 5xx, resets, timeouts), what is not (400, 401), and the breaker that makes a dead upstream cheap.
 */
import { afterEach, describe, expect, it } from 'bun:test';
import { createMem0Backend } from '../../plugins/memory/mem0.ts';
import { createOpenMemoryBackend } from '../../plugins/memory/openmemory.ts';
import { MemoryBackendError } from '../../plugins/memory/types.ts';
import { systemClock } from '../../src/clock.ts';
import { createUpstream } from '../../src/resilience.ts';
import { route } from '../fakes/faults.ts';
import { type Mem0Fake, startMem0Fake } from '../fakes/mem0.ts';
import { type OpenMemoryFake, startOpenMemoryFake } from '../fakes/openmemory.ts';

const ALICE = { userId: '+15551239999' };
let fakes: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});

async function openmemory(
  options: { maxRetries?: number; timeoutMs?: number; breakerThreshold?: number } = {},
) {
  const fake: OpenMemoryFake = await startOpenMemoryFake({ apiKey: 'k' });
  fakes.push(fake);
  const upstream = createUpstream({
    name: 'openmemory',
    maxRetries: options.maxRetries ?? 3,
    baseDelayMs: 5,
    maxDelayMs: 2000,
    breakerThreshold: options.breakerThreshold ?? 10,
    halfOpenAfterMs: 60_000,
  });
  const backend = createOpenMemoryBackend({
    url: fake.url,
    apiKey: 'k',
    timeoutMs: options.timeoutMs ?? 2000,
    upstream,
    clock: systemClock,
  });
  return { fake, backend, upstream };
}

async function failure(promise: Promise<unknown>): Promise<MemoryBackendError> {
  try {
    await promise;
  } catch (error) {
    return error as MemoryBackendError;
  }
  throw new Error('expected a failure');
}

const query = route('POST', '/memory/query');

describe('remote memory clients under faults', () => {
  it('waits for Retry-After on a 429, then succeeds', async () => {
    const { fake, backend } = await openmemory();
    fake.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '0.3' }, match: query });
    const started = performance.now();
    expect(await backend.search(ALICE, 'anything')).toEqual([]);
    const queries = fake.requests.filter((r) => r.path === '/memory/query');
    expect(queries.map((r) => r.fault)).toEqual(['status', undefined]);
    expect(queries[1].at - queries[0].at).toBeGreaterThanOrEqual(280);
    expect(performance.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('retries a 500 and succeeds on the next attempt', async () => {
    const { fake, backend } = await openmemory();
    fake.faults.push({ kind: 'status', status: 500, match: query, times: 2 });
    expect(await backend.search(ALICE, 'anything')).toEqual([]);
    expect(fake.requests.filter((r) => r.path === '/memory/query').length).toBe(3);
  });

  it('does not retry a 400 or a 401: they are permanent', async () => {
    const { fake, backend } = await openmemory();
    fake.faults.push({ kind: 'status', status: 400, match: query });
    const bad = await failure(backend.search(ALICE, 'anything'));
    expect(bad).toBeInstanceOf(MemoryBackendError);
    expect(bad.status).toBe(400);
    expect(bad.permanent).toBe(true);
    fake.faults.push({ kind: 'status', status: 401, match: query });
    const denied = await failure(backend.search(ALICE, 'other'));
    expect(denied.status).toBe(401);
    expect(denied.permanent).toBe(true);
    expect(fake.requests.filter((r) => r.path === '/memory/query').length).toBe(2);
  });

  it('retries a connection reset', async () => {
    const { fake, backend } = await openmemory();
    fake.faults.push({ kind: 'reset', match: query });
    expect(await backend.search(ALICE, 'anything')).toEqual([]);
    expect(fake.requests.filter((r) => r.path === '/memory/query').map((r) => r.fault)).toEqual([
      'reset',
      undefined,
    ]);
  });

  it('gives up on a slow answer at the timeout, as a transient error', async () => {
    const { fake, backend } = await openmemory({ maxRetries: 0, timeoutMs: 100 });
    fake.faults.push({ kind: 'delay', ms: 2000, match: query });
    const started = performance.now();
    const slow = await failure(backend.search(ALICE, 'anything'));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(slow.permanent).toBe(false);
    expect(slow.message).toContain('100 ms');
  });

  it('opens the circuit after consecutive failures: the next call fails fast without a request', async () => {
    const { fake, backend, upstream } = await openmemory({ maxRetries: 0, breakerThreshold: 3 });
    fake.faults.always({ kind: 'status', status: 503, match: query });
    for (let i = 0; i < 3; i++) await failure(backend.search(ALICE, `q${i}`));
    expect(upstream.state()).toBe('open');
    const seen = fake.requests.length;
    // Failing fast is shown by no request reaching the server, not by a stopwatch.
    const fast = await failure(backend.search(ALICE, 'again'));
    expect(fast.message).toContain('circuit open');
    expect(fast.permanent).toBe(false);
    expect(fake.requests.length).toBe(seen);
    const health = await backend.health();
    expect(health.ok).toBe(false);
    expect(health.detail).toContain('circuit open');
  });

  it('sends the key as X-API-Key to OpenMemory and as Token to the mem0 platform', async () => {
    const { fake, backend } = await openmemory();
    await backend.search(ALICE, 'x');
    expect(fake.requests[0].headers['x-api-key']).toBe('k');
    const platform: Mem0Fake = await startMem0Fake({ flavour: 'platform', apiKey: 'p' });
    fakes.push(platform);
    const mem0 = createMem0Backend({
      flavour: 'platform',
      url: platform.url,
      apiKey: 'p',
      timeoutMs: 2000,
      upstream: createUpstream({
        name: 'mem0',
        maxRetries: 0,
        baseDelayMs: 5,
        maxDelayMs: 50,
        breakerThreshold: 5,
        halfOpenAfterMs: 1000,
      }),
      clock: systemClock,
    });
    await mem0.search(ALICE, 'x');
    expect(platform.requests[0].headers.authorization).toBe('Token p');
  });

  it('reports a wrong key as down, naming the setting', async () => {
    const { fake } = await openmemory();
    const wrong = createOpenMemoryBackend({
      url: fake.url,
      apiKey: 'wrong',
      timeoutMs: 2000,
      upstream: createUpstream({
        name: 'om',
        maxRetries: 0,
        baseDelayMs: 5,
        maxDelayMs: 50,
        breakerThreshold: 5,
        halfOpenAfterMs: 1000,
      }),
      clock: systemClock,
    });
    const health = await wrong.health();
    expect(health.ok).toBe(false);
    expect(health.detail).toContain('OPENMEMORY_API_KEY');
  });
});
