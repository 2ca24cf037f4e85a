import { afterEach, describe, expect, it } from 'bun:test';
import { route } from '../fakes/faults.ts';
import { eventually } from '../helpers/wait.ts';
import { type KbHarness, kbHarness } from './helpers.ts';

const TEXT = route('POST', '/v1/convai/knowledge-base/text');

async function waitFor<T>(probe: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  let value: T | undefined;
  const probed = async () => {
    value = await probe();
    return ok(value);
  };
  await eventually('the awaited state', probed, { everyMs: 5 });
  return value as T;
}

describe('kb-sync retry-sync rules', () => {
  let h: KbHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('sends a failed document back: error cleared, retry counted, then completed', async () => {
    h = await kbHarness();
    h.fake.faults.push({ kind: 'status', status: 401, match: TEXT });
    const doc = await h.add({ text: 'x' });
    await h.service.settle();
    expect((await h.doc(doc.id)).sync_status).toBe('failed');

    const response = await h.request(`/api/knowledge/${doc.id}/retry-sync`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      sync_status: 'pending',
      sync_error_message: null,
      sync_error_type: null,
      sync_error_detail: null,
      sync_retry_count: 1,
    });
    await h.service.settle();
    expect(await h.doc(doc.id)).toMatchObject({ sync_status: 'completed', sync_retry_count: 1 });
  });

  it('answers 409 while syncing, 409 for pending or completed, 404 for unknown ids', async () => {
    h = await kbHarness({ start: false });
    const pending = await h.add({ text: 'waiting' });
    const retryOf = (id: string) => h.request(`/api/knowledge/${id}/retry-sync`, { method: 'POST' });
    const waiting = await retryOf(pending.id);
    expect(waiting.status).toBe(409);
    expect(await waiting.json()).toEqual({
      detail: 'Only failed documents can be retried (status: pending)',
    });

    h.fake.faults.push({ kind: 'delay', ms: 400, match: TEXT });
    await h.core.start();
    await waitFor(
      () => h.doc(pending.id),
      (d) => d.sync_status === 'syncing',
    );
    const busy = await retryOf(pending.id);
    expect(busy.status).toBe(409);
    expect(await busy.json()).toEqual({ detail: 'Document is syncing; wait for it to finish' });
    expect((await h.request(`/api/knowledge/${pending.id}`, { method: 'DELETE' })).status).toBe(409);

    await h.service.settle();
    expect((await retryOf(pending.id)).status).toBe(409);
    expect((await h.doc(pending.id)).sync_retry_count).toBe(0);
    expect((await retryOf('missing')).status).toBe(404);
  });

  it('retry-failed queues every failed document and nothing else', async () => {
    h = await kbHarness();
    h.fake.faults.push({ kind: 'status', status: 422, times: 2, match: TEXT });
    const a = await h.add({ text: 'a' });
    await h.service.settle();
    const b = await h.add({ text: 'b' });
    await h.service.settle();
    const c = await h.add({ text: 'c' });
    await h.service.settle();
    expect([
      (await h.doc(a.id)).sync_status,
      (await h.doc(b.id)).sync_status,
      (await h.doc(c.id)).sync_status,
    ]).toEqual(['failed', 'failed', 'completed']);
    const response = await h.request('/api/knowledge/retry-failed', { method: 'POST' });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.retried).toBe(2);
    expect(body.ids.sort()).toEqual([a.id, b.id].sort());
    await h.service.settle();
    const list = await (await h.request('/api/knowledge')).json();
    expect(list.counts).toEqual({ pending: 0, syncing: 0, completed: 3, failed: 0 });
    expect((await h.doc(c.id)).sync_retry_count).toBe(0);
    expect((await h.doc(a.id)).sync_retry_count).toBe(1);
  });
});
