import { afterEach, describe, expect, it } from 'bun:test';
import { type KbHarness, kbHarness } from './helpers.ts';

describe('kb-sync without ELEVENLABS_API_KEY', () => {
  let h: KbHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('stores documents, keeps them pending, and says why', async () => {
    h = await kbHarness({ apiKey: null });
    const doc = await h.add({ text: 'kept for later' });
    await h.service.settle();
    expect((await h.doc(doc.id)).sync_status).toBe('pending');
    expect(h.fake.requests.length).toBe(0);
    expect(h.core.notices.some((line) => line.includes('ELEVENLABS_API_KEY is not configured'))).toBe(true);
    const list = await (await h.request('/api/knowledge')).json();
    expect(list.sync_enabled).toBe(false);
    const health = await (await h.request('/health')).json();
    expect(health.checks.kb_sync).toMatchObject({ status: 'disabled', required: false });
  });

  it('answers 503 to deleting a synced document, and keeps it', async () => {
    h = await kbHarness({ apiKey: null });
    const doc = await h.add({ text: 'synced earlier' });
    h.core.db.$client
      .prepare(
        "UPDATE kb_documents SET sync_status = 'completed', elevenlabs_document_id = 'kb_1' WHERE id = ?",
      )
      .run(doc.id);
    const response = await h.request(`/api/knowledge/${doc.id}`, { method: 'DELETE' });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ detail: 'ELEVENLABS_API_KEY is not configured' });
    expect((await h.doc(doc.id)).sync_status).toBe('completed');
  });
});
