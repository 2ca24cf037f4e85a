import { afterEach, describe, expect, it } from 'bun:test';
import { type KbHarness, kbHarness } from './helpers.ts';

describe('kb-sync status transitions', () => {
  let h: KbHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('answers at once with a pending document, then syncs it to completed', async () => {
    h = await kbHarness({ start: false });
    const created = await h.add({ name: 'Opening hours', text: 'We open at nine.' });
    expect(created).toMatchObject({
      name: 'Opening hours',
      source_type: 'text',
      content: 'We open at nine.',
      sync_status: 'pending',
      elevenlabs_document_id: null,
      sync_error_message: null,
      sync_retry_count: 0,
    });
    expect(created.content_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(h.fake.requests.length).toBe(0);

    await h.core.start();
    await h.service.settle();
    const done = await h.doc(created.id);
    expect(done.sync_status).toBe('completed');
    expect(typeof done.last_sync_attempt).toBe('string');
    const remote = h.fake.documents.get(done.elevenlabs_document_id);
    expect(remote).toMatchObject({ type: 'text', name: 'Opening hours', text: 'We open at nine.' });
  });

  it('syncs a URL and a multipart file upload through the SDK', async () => {
    h = await kbHarness();
    const url = await h.add({ url: 'https://example.com/faq' });
    const form = new FormData();
    form.append('name', 'Price list');
    form.append(
      'file',
      new File([new Uint8Array([0x25, 0x50, 0x44, 0x46, 0, 255])], 'prices.pdf', { type: 'application/pdf' }),
    );
    const fileResponse = await h.request('/api/knowledge', { method: 'POST', body: form });
    expect(fileResponse.status).toBe(201);
    const file = await fileResponse.json();
    expect(file).toMatchObject({
      source_type: 'file',
      file_name: 'prices.pdf',
      file_type: 'application/pdf',
      size: 6,
    });
    await h.service.settle();

    const urlDoc = await h.doc(url.id);
    expect(urlDoc).toMatchObject({ sync_status: 'completed', name: 'https://example.com/faq' });
    expect(h.fake.documents.get(urlDoc.elevenlabs_document_id)).toMatchObject({
      type: 'url',
      url: 'https://example.com/faq',
    });
    const fileDoc = await h.doc(file.id);
    const remote = h.fake.documents.get(fileDoc.elevenlabs_document_id)!;
    expect(remote).toMatchObject({
      type: 'file',
      name: 'Price list',
      filename: 'prices.pdf',
      fileType: 'application/pdf',
    });
    expect([...remote.bytes!]).toEqual([0x25, 0x50, 0x44, 0x46, 0, 255]);
  });

  it('marks a document failed with its error type, message and detail', async () => {
    h = await kbHarness({ apiKey: 'wrong-key' });
    const created = await h.add({ text: 'Some facts' });
    await h.service.settle();
    const failed = await h.doc(created.id);
    expect(failed).toMatchObject({
      sync_status: 'failed',
      sync_error_type: 'auth_error',
      sync_error_message: 'API key invalid',
      sync_error_detail: 'HTTP 401: Invalid API key',
      elevenlabs_document_id: null,
    });
    expect(h.fake.requests.length).toBe(1);
  });

  it('lists documents newest first and filters by status', async () => {
    h = await kbHarness({ start: false });
    const first = await h.add({ text: 'one' });
    const second = await h.add({ text: 'two' });
    const all = await (await h.request('/api/knowledge')).json();
    expect(all.documents.map((d: any) => d.id)).toEqual([second.id, first.id]);
    expect(all.counts).toEqual({ pending: 2, syncing: 0, completed: 0, failed: 0 });
    expect(all.documents[0].content).toBeUndefined();
    await h.core.start();
    await h.service.settle();
    const completed = await (await h.request('/api/knowledge?status=completed')).json();
    expect(completed.documents.length).toBe(2);
    const failed = await (await h.request('/api/knowledge?status=failed')).json();
    expect(failed.documents).toEqual([]);
    expect((await h.request('/api/knowledge?status=lost')).status).toBe(422);
  });

  it('refuses bodies that are not exactly one source, and oversized ones', async () => {
    h = await kbHarness({ start: false, kbSync: { maxTextChars: 10, maxFileBytes: 4 } });
    const post = (body: unknown) =>
      h.request('/api/knowledge', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post({ name: 'x' })).status).toBe(422);
    expect((await post({ text: 'a', url: 'https://example.com' })).status).toBe(422);
    const ftp = await post({ url: 'ftp://example.com' });
    expect(ftp.status).toBe(422);
    expect((await ftp.json()).detail).toStartWith('Invalid body: url: ');
    const named = await post({ name: 'n'.repeat(201), text: 'a' });
    expect(named.status).toBe(422);
    expect((await named.json()).detail).toStartWith('Invalid body: name: ');
    const long = await post({ text: 'x'.repeat(11) });
    expect(long.status).toBe(413);
    expect(await long.json()).toEqual({ detail: 'Text is longer than 10 characters' });
    const form = new FormData();
    form.append('file', new File(['12345'], 'a.txt'));
    expect((await h.request('/api/knowledge', { method: 'POST', body: form })).status).toBe(413);
    expect((await h.request('/api/knowledge/nope')).status).toBe(404);
  });
});
