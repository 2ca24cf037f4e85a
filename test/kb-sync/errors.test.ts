import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { classifySyncError, USER_MESSAGES } from '../../plugins/kb-sync/index.ts';
import { createElevenLabsClient } from '../../src/elevenlabs.ts';
import { BrokenCircuitError } from '../../src/resilience.ts';
import { type ElevenLabsFake, startElevenLabsFake } from '../fakes/elevenlabs.ts';
import { route } from '../fakes/faults.ts';

/** Makes one real SDK call against the fake and classifies what it throws. */
async function failureOf(
  fake: ElevenLabsFake,
  options: { apiKey?: string; baseUrl?: string; timeoutMs?: number } = {},
) {
  const client = createElevenLabsClient({
    apiKey: options.apiKey ?? fake.apiKey,
    baseUrl: options.baseUrl ?? fake.url,
    timeoutMs: options.timeoutMs ?? 5000,
  })!;
  try {
    await client.conversationalAi.knowledgeBase.documents.createFromText({ text: 'hello', name: 'n' });
  } catch (error) {
    return classifySyncError(error, Date.UTC(2026, 0, 1));
  }
  throw new Error('the call succeeded');
}

describe('kb-sync error classification (001 error table)', () => {
  let fake: ElevenLabsFake;
  beforeAll(async () => {
    fake = await startElevenLabsFake();
  });
  afterAll(async () => {
    await fake.close();
  });

  const byStatus: Array<[number, string, boolean]> = [
    [400, 'validation', false],
    [401, 'auth_error', false],
    [403, 'auth_error', false],
    [413, 'validation', false],
    [422, 'validation', false],
    [429, 'rate_limit', true],
    [500, 'server_error', true],
    [502, 'server_error', true],
    [503, 'server_error', true],
    [404, 'unknown', false],
    [409, 'unknown', false],
  ];
  for (const [status, type, retryable] of byStatus) {
    it(`HTTP ${status} → ${type}${retryable ? ' (retried)' : ''}`, async () => {
      fake.faults.push({ kind: 'status', status, match: route('POST', '/v1/convai/knowledge-base/text') });
      const error = await failureOf(fake);
      expect(error.type).toBe(type as any);
      expect(error.retryable).toBe(retryable);
      expect(error.status).toBe(status);
      expect(error.message).toBe(USER_MESSAGES[error.type]);
      expect(error.detail.startsWith(`HTTP ${status}`)).toBe(true);
      expect(error.cause).toBeDefined();
    });
  }

  it('keeps the messages of the table', () => {
    expect(USER_MESSAGES).toMatchObject({
      rate_limit: 'Service busy, retrying...',
      auth_error: 'API key invalid',
      validation: 'Document format invalid',
      server_error: 'Service unavailable, retrying...',
      network: 'Connection failed, retrying...',
    });
  });

  it('a real wrong key is auth_error with ElevenLabs message as detail', async () => {
    const error = await failureOf(fake, { apiKey: 'not-the-key' });
    expect(error.type).toBe('auth_error');
    expect(error.detail).toBe('HTTP 401: Invalid API key');
  });

  it('reads Retry-After (seconds) on 429 and 503', async () => {
    fake.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '3' } });
    expect((await failureOf(fake)).retryAfterMs).toBe(3000);
    fake.faults.push({
      kind: 'status',
      status: 503,
      headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' },
    });
    expect((await failureOf(fake)).retryAfterMs).toBe(5000);
  });

  it('a reset connection is network (retried)', async () => {
    // Deno's fetch resends once on a connection reset by the peer, so the fault lasts for the call.
    fake.faults.always({ kind: 'reset' });
    const error = await failureOf(fake);
    fake.faults.clear();
    expect(error.type).toBe('network');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('Connection failed, retrying...');
  });

  it('a refused connection is network', async () => {
    const closed = await startElevenLabsFake();
    const url = closed.url;
    await closed.close();
    const error = await failureOf(fake, { baseUrl: url });
    expect(error.type).toBe('network');
  });

  it('a timeout is network', async () => {
    fake.faults.push({ kind: 'delay', ms: 3000 });
    const error = await failureOf(fake, { timeoutMs: 1 });
    expect(error.type).toBe('network');
    expect(error.detail).toBe('Timed out waiting for ElevenLabs');
  });

  it('an open circuit is server_error, and anything else unknown', () => {
    expect(classifySyncError(new BrokenCircuitError()).type).toBe('server_error');
    const odd = classifySyncError(new RangeError('bad response shape'));
    expect(odd.type).toBe('unknown');
    expect(odd.retryable).toBe(false);
    expect(odd.message).toBe(USER_MESSAGES.unknown);
  });
});
