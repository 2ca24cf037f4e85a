import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sleep } from '../../plugins/kb-sync/index.ts';
import { type ElevenLabsFake, startElevenLabsFake } from '../fakes/elevenlabs.ts';
import { kbHarness } from './helpers.ts';

describe('kb-sync durability', () => {
  let dir: string;
  let fake: ElevenLabsFake;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kb-sync-'));
    fake = await startElevenLabsFake();
  });
  afterEach(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('picks up pending documents and stale syncing ones after a restart', async () => {
    const database = { path: join(dir, 'elaoms.db') };
    const first = await kbHarness({ fake, start: false, config: { database } });
    const pending = await first.add({ text: 'queued before the crash' });
    const crashed = await first.add({ text: 'was syncing when the process died' });
    const live = await first.add({ text: 'another process is syncing this one now' });
    const set = first.core.db.$client.prepare(
      'UPDATE kb_documents SET sync_status = ?, last_sync_attempt = ?, claim = ? WHERE id = ?',
    );
    set.run('syncing', Date.now() - 10 * 60_000, 'dead-worker', crashed.id);
    set.run('syncing', Date.now(), 'live-worker', live.id);
    await first.close();

    const second = await kbHarness({ fake, config: { database } });
    await second.service.settle();
    expect((await second.doc(pending.id)).sync_status).toBe('completed');
    expect((await second.doc(crashed.id)).sync_status).toBe('completed');
    expect((await second.doc(live.id)).sync_status).toBe('syncing');
    expect(fake.documents.size).toBe(2);
    await second.close();
  });

  it('gives a document back to the queue when stopped during a retry delay', async () => {
    const database = { path: join(dir, 'elaoms.db') };
    let waiting!: () => void;
    const inDelay = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const blockingSleep: Sleep = (_ms, signal) =>
      new Promise((_, reject) => {
        waiting();
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    const h = await kbHarness({ fake, sleep: blockingSleep, config: { database } });
    fake.faults.push({ kind: 'status', status: 503 });
    const doc = await h.add({ text: 'x' });
    await inDelay;
    await h.close();

    const again = await kbHarness({ fake, start: false, config: { database } });
    expect((await again.doc(doc.id)).sync_status).toBe('pending');
    await again.core.start();
    await again.service.settle();
    expect((await again.doc(doc.id)).sync_status).toBe('completed');
    await again.close();
  });

  it('an outage leaves documents failed with their error; the breaker stops the calls; they recover', async () => {
    const h = await kbHarness({
      fake,
      kbSync: { concurrency: 1 },
      config: { resilience: { breakerThreshold: 5, breakerHalfOpenAfterMs: 100 } },
    });
    fake.faults.always({ kind: 'status', status: 503 });
    const docs = [];
    for (const text of ['a', 'b', 'c', 'd']) docs.push(await h.add({ text }));
    await h.service.settle();
    // 4 calls for the first document, 1 more opens the circuit; the rest never reach ElevenLabs.
    expect(fake.requests.length).toBe(5);
    for (const doc of docs) {
      expect(await h.doc(doc.id)).toMatchObject({ sync_status: 'failed', sync_error_type: 'server_error' });
    }
    expect((await h.doc(docs[3].id)).sync_error_detail).toContain('Circuit open');
    const health = await (await h.request('/health')).json();
    expect(health.checks.kb_sync).toMatchObject({ status: 'degraded', required: false });
    expect(health.checks.kb_sync.detail).toContain('circuit open');

    fake.faults.clear();
    await new Promise((r) => setTimeout(r, 150));
    expect((await h.request('/api/knowledge/retry-failed', { method: 'POST' })).status).toBe(200);
    await h.service.settle();
    const list = await (await h.request('/api/knowledge')).json();
    expect(list.counts).toEqual({ pending: 0, syncing: 0, completed: 4, failed: 0 });
    await h.close();
  });

  it('a worker whose lease was taken over discards its result and deletes its copy', async () => {
    const h = await kbHarness({ fake, kbSync: { leaseMs: 1000, concurrency: 2 } });
    fake.faults.push({ kind: 'delay', ms: 1500 });
    const doc = await h.add({ text: 'slow first attempt' });
    await h.service.settle();
    const row = await h.doc(doc.id);
    expect(row.sync_status).toBe('completed');
    expect([...fake.documents.keys()]).toEqual([row.elevenlabs_document_id]);
    expect(fake.deletedDocumentIds.length).toBe(1);
    expect(fake.deletedDocumentIds[0]).not.toBe(row.elevenlabs_document_id);
    await h.close();
  });

  it('runs at most `concurrency` uploads at once', async () => {
    const h = await kbHarness({ fake, start: false, kbSync: { concurrency: 2 } });
    for (let i = 0; i < 6; i++) await h.add({ text: `doc ${i}` });
    fake.faults.push({ kind: 'delay', ms: 40, times: 6 });
    await h.core.start();
    let most = 0;
    const sampling = (async () => {
      for (;;) {
        const { counts } = await (await h.request('/api/knowledge')).json();
        most = Math.max(most, counts.syncing);
        if (counts.completed === 6) return;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await sampling;
    expect(most).toBe(2);
    await h.close();
  });
});
