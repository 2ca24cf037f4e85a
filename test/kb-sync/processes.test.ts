/**
 * kb-sync across process lifetimes and processes: a stop aborts the upload in flight and gives the
 * document back; a claim whose holder died is taken over at once; the concurrency limit is shared by
 * every process on the database file.
 */
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ElevenLabsFake, startElevenLabsFake } from '../fakes/elevenlabs.ts';
import { eventually } from '../helpers/wait.ts';
import { type KbHarness, kbHarness } from './helpers.ts';

const CREATE_TEXT = '/v1/convai/knowledge-base/text';
const isCreate = (method: string, path: string) => method === 'POST' && path === CREATE_TEXT;

function rows(h: KbHarness): Array<{ id: string; sync_status: string; claim: string | null }> {
  return h.core.db.$client.prepare('SELECT id, sync_status, claim FROM kb_documents').all() as any;
}

describe('kb-sync across processes', () => {
  let dir: string;
  let fake: ElevenLabsFake;
  let database: { path: string };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kb-sync-proc-'));
    database = { path: join(dir, 'elaoms.db') };
    fake = await startElevenLabsFake();
  });
  afterEach(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stop() aborts a slow upload and queues the document again; a restart uploads it once', async () => {
    // ElevenLabs holds the upload for a minute and our timeout would wait as long: only an abort
    // lets stop() return before the test times out.
    fake.faults.push({ kind: 'delay', ms: 60_000, match: isCreate });
    const config = { database, elevenlabs: { timeoutMs: 60_000 } };
    const first = await kbHarness({ fake, config });
    const doc = await first.add({ text: 'uploading while the process stops' });
    await eventually('a create request', () => fake.requests.some((r) => isCreate(r.method, r.path)), {
      withinMs: 10_000,
      everyMs: 5,
    });
    await first.service.stop();
    expect(rows(first)).toEqual([{ id: doc.id, sync_status: 'pending', claim: null }]);
    expect(first.logs.some((l) => l.msg === 'kb sync stopped during upload; document queued again')).toBe(
      true,
    );
    await first.close();
    expect(first.logs.some((l) => l.msg === 'background work did not stop in time')).toBe(false);

    const second = await kbHarness({ fake, config });
    await second.service.settle();
    const synced = await second.doc(doc.id);
    expect(synced).toMatchObject({ sync_status: 'completed', sync_retry_count: 0 });
    expect([...fake.documents.keys()]).toEqual([synced.elevenlabs_document_id]);
    expect(fake.requests.filter((r) => isCreate(r.method, r.path)).length).toBe(2);
    await second.close();
  });

  it('takes over at once a claim whose holder has no live worker lease; leaves a live holder alone', async () => {
    const first = await kbHarness({ fake, start: false, config: { database } });
    const orphaned = await first.add({ text: 'claimed by a process that died a moment ago' });
    const held = await first.add({ text: 'claimed by a process that is alive' });
    const now = Date.now();
    const client = first.core.db.$client;
    const claim = client.prepare(
      "UPDATE kb_documents SET sync_status = 'syncing', last_sync_attempt = ?, claim = ? WHERE id = ?",
    );
    claim.run(now, 'dead-process/1', orphaned.id);
    claim.run(now, 'live-process/2', held.id);
    client
      .prepare('INSERT INTO elaoms_leases (name, holder, expires_at) VALUES (?, ?, ?)')
      .run('kb-sync.worker:live-process', 'live-process', now + 600_000);
    await first.close();

    const second = await kbHarness({ fake, config: { database } });
    await second.service.settle();
    expect((await second.doc(orphaned.id)).sync_status).toBe('completed');
    expect((await second.doc(held.id)).sync_status).toBe('syncing');
    expect(fake.documents.size).toBe(1);
    await second.close();
  });

  it('two processes on one database file share one concurrency limit', async () => {
    fake.faults.push({ kind: 'delay', ms: 60_000, match: isCreate, times: 2 });
    const kbSync = { concurrency: 2 };
    const a = await kbHarness({ fake, start: false, kbSync, config: { database } });
    const b = await kbHarness({ fake, start: false, kbSync, config: { database } });
    for (let i = 0; i < 6; i++) await a.add({ text: `bulk import ${i}` });

    await a.core.start();
    await eventually(
      'two create requests',
      () => fake.requests.filter((r) => isCreate(r.method, r.path)).length === 2,
      {
        withinMs: 10_000,
        everyMs: 5,
      },
    );
    // b's workers try to claim as they start; every slot is held by a's two live uploads.
    await b.core.start();
    const syncing = rows(b).filter((r) => r.sync_status === 'syncing');
    expect(syncing.length).toBe(2);
    const owner = (claim: string | null) => claim?.split('/')[0];
    expect(new Set(syncing.map((r) => owner(r.claim))).size).toBe(1);

    // a stops: its uploads go back to the queue, and b syncs all six within the same limit.
    await a.close();
    await b.service.settle();
    const list = await (await b.request('/api/knowledge')).json();
    expect(list.counts).toEqual({ pending: 0, syncing: 0, completed: 6, failed: 0 });
    expect(fake.documents.size).toBe(6);
    await b.close();
  });
});
