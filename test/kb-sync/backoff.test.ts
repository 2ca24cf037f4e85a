import { afterEach, describe, expect, it } from 'bun:test';
import { route } from '../fakes/faults.ts';
import { type KbHarness, kbHarness, linesOf } from './helpers.ts';

const TEXT = route('POST', '/v1/convai/knowledge-base/text');

describe('kb-sync retries and backoff (injected sleep)', () => {
  let h: KbHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('retries 5xx with 1 s, 2 s, 4 s and then succeeds', async () => {
    h = await kbHarness();
    h.fake.faults.push({ kind: 'status', status: 503, times: 3, match: TEXT });
    const doc = await h.add({ name: 'Menu', text: 'Soup of the day' });
    await h.service.settle();
    expect(h.delays).toEqual([1000, 2000, 4000]);
    expect(h.fake.requests.filter((r) => r.path.endsWith('/text')).length).toBe(4);
    expect((await h.doc(doc.id)).sync_status).toBe('completed');
  });

  it('gives up after the configured retries and keeps the last error', async () => {
    h = await kbHarness();
    h.fake.faults.always({ kind: 'status', status: 500, match: TEXT });
    const doc = await h.add({ text: 'x' });
    await h.service.settle();
    expect(h.delays).toEqual([1000, 2000, 4000]);
    expect(h.fake.requests.length).toBe(4);
    expect(await h.doc(doc.id)).toMatchObject({
      sync_status: 'failed',
      sync_error_type: 'server_error',
      sync_error_message: 'Service unavailable, retrying...',
    });
  });

  it('takes its attempts from config (KB_SYNC_MAX_ATTEMPTS) and caps delays at maxDelayMs', async () => {
    h = await kbHarness({
      kbSync: { maxRetryAttempts: 5 },
      config: { resilience: { breakerThreshold: 20 } },
    });
    h.fake.faults.always({ kind: 'reset', match: TEXT });
    const doc = await h.add({ text: 'x' });
    await h.service.settle();
    expect(h.delays).toEqual([1000, 2000, 4000, 8000, 10000]);
    expect((await h.doc(doc.id)).sync_error_type).toBe('network');
  });

  it('honours Retry-After when it is longer, capped at 10 s', async () => {
    h = await kbHarness();
    h.fake.faults.push(
      { kind: 'status', status: 429, headers: { 'retry-after': '3' }, match: TEXT },
      { kind: 'status', status: 429, headers: { 'retry-after': '60' }, match: TEXT },
      { kind: 'status', status: 429, headers: { 'retry-after': '1' }, match: TEXT },
    );
    const doc = await h.add({ text: 'x' });
    await h.service.settle();
    expect(h.delays).toEqual([3000, 10000, 4000]);
    expect((await h.doc(doc.id)).sync_status).toBe('completed');
  });

  it('does not retry auth or validation errors', async () => {
    h = await kbHarness();
    h.fake.faults.push({ kind: 'status', status: 400, match: TEXT });
    const doc = await h.add({ text: 'x' });
    await h.service.settle();
    expect(h.delays).toEqual([]);
    expect(h.fake.requests.length).toBe(1);
    expect(await h.doc(doc.id)).toMatchObject({
      sync_status: 'failed',
      sync_error_type: 'validation',
      sync_error_message: 'Document format invalid',
    });
  });

  it('logs every attempt with name, content length, attempt, delay and result; errors with their stack', async () => {
    h = await kbHarness();
    h.fake.faults.push({ kind: 'status', status: 502, match: TEXT });
    await h.add({ name: 'Hours', text: 'nine to five' });
    await h.service.settle();
    const failed = linesOf(h.logs, 'kb sync attempt failed; will retry');
    expect(failed.length).toBe(1);
    expect(failed[0]).toMatchObject({
      level: 'warn',
      name: 'Hours',
      content_length: 12,
      attempt: 1,
      delay_ms: 0,
      result: 'server_error',
      status: 502,
    });
    expect(failed[0].err.stack).toContain('Error');
    const ok = linesOf(h.logs, 'kb sync attempt');
    expect(ok[0]).toMatchObject({
      level: 'info',
      name: 'Hours',
      content_length: 12,
      attempt: 2,
      delay_ms: 1000,
      result: 'completed',
    });
    expect(typeof ok[0].elevenlabs_document_id).toBe('string');
    expect(JSON.stringify(h.logs)).not.toContain(h.fake.apiKey);
  });
});
