import { afterEach, describe, expect, it } from 'bun:test';
import { route } from '../fakes/faults.ts';
import { type KbHarness, kbHarness } from './helpers.ts';

describe('kb-sync delete', () => {
  let h: KbHarness;
  afterEach(async () => {
    await h?.close();
  });

  async function synced(): Promise<{ id: string; remote: string }> {
    const doc = await h.add({ text: 'to be deleted' });
    await h.service.settle();
    const remote = (await h.doc(doc.id)).elevenlabs_document_id;
    expect(h.fake.documents.has(remote)).toBe(true);
    return { id: doc.id, remote };
  }

  it('deletes the ElevenLabs document and then the row', async () => {
    h = await kbHarness();
    const { id, remote } = await synced();
    const response = await h.request(`/api/knowledge/${id}`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id, deleted: true });
    expect(h.fake.deletedDocumentIds).toEqual([remote]);
    expect((await h.request(`/api/knowledge/${id}`)).status).toBe(404);
  });

  it('keeps the row, marked with the error, when ElevenLabs fails', async () => {
    h = await kbHarness();
    const { id, remote } = await synced();
    h.fake.faults.push({
      kind: 'status',
      status: 500,
      match: route('DELETE', '/v1/convai/knowledge-base/*'),
    });
    const response = await h.request(`/api/knowledge/${id}`, { method: 'DELETE' });
    expect(response.status).toBe(502);
    expect((await response.json()).detail).toContain('Service unavailable');
    expect(await h.doc(id)).toMatchObject({
      sync_status: 'completed',
      elevenlabs_document_id: remote,
      sync_error_type: 'server_error',
      sync_error_message: 'Service unavailable, retrying...',
    });
    expect((await h.doc(id)).sync_error_detail).toMatch(/^Delete failed: HTTP 500/);
    expect(h.fake.documents.has(remote)).toBe(true);
  });

  it('passes force through: a document an agent uses is kept unless forced', async () => {
    h = await kbHarness();
    const { id, remote } = await synced();
    h.fake.addAgent({
      agent_id: 'agent_1',
      knowledge_base: [{ type: 'text', name: 'doc', id: remote, usage_mode: 'auto' }],
    });
    const refused = await h.request(`/api/knowledge/${id}`, { method: 'DELETE' });
    expect(refused.status).toBe(502);
    expect((await h.doc(id)).sync_error_type).toBe('validation');
    const forced = await h.request(`/api/knowledge/${id}?force=true`, { method: 'DELETE' });
    expect(forced.status).toBe(200);
    expect(h.fake.deletedDocumentIds).toEqual([remote]);
  });

  it('treats a document already gone at ElevenLabs as deleted', async () => {
    h = await kbHarness();
    const { id, remote } = await synced();
    h.fake.documents.delete(remote);
    expect((await h.request(`/api/knowledge/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await h.request(`/api/knowledge/${id}`)).status).toBe(404);
  });

  it('deletes a never-synced document without calling ElevenLabs; 404 for unknown ids', async () => {
    h = await kbHarness({ start: false });
    const doc = await h.add({ text: 'never synced' });
    expect((await h.request(`/api/knowledge/${doc.id}`, { method: 'DELETE' })).status).toBe(200);
    expect(h.fake.requests.length).toBe(0);
    expect((await h.request('/api/knowledge/missing', { method: 'DELETE' })).status).toBe(404);
  });
});
