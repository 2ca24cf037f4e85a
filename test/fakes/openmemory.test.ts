import { afterEach, describe, expect, it } from 'bun:test';
import {
  type OpenMemoryFake,
  type OpenMemoryFakeOptions,
  startOpenMemoryFake,
  tenantOf,
} from './openmemory.ts';

const KEY = 'om-test-key';
let fake: OpenMemoryFake | undefined;

async function start(options: OpenMemoryFakeOptions = {}): Promise<OpenMemoryFake> {
  fake = await startOpenMemoryFake({ apiKey: KEY, ...options });
  return fake;
}

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function call(om: OpenMemoryFake, method: string, path: string, body?: unknown, key = KEY) {
  const res = await fetch(om.url + path, {
    method,
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
}

describe('auth and health', () => {
  it('serves /health without a key', async () => {
    const om = await start();
    const res = await fetch(`${om.url}/health`);
    expect(await res.json()).toMatchObject({ ok: true, version: '2.0-hsg-tiered' });
  });

  it('accepts x-api-key, Bearer and ApiKey; 401 without, 403 when wrong', async () => {
    const om = await start();
    for (const authorization of [`Bearer ${KEY}`, `ApiKey ${KEY}`]) {
      const res = await fetch(`${om.url}/users/u1/summary`, { headers: { authorization } });
      expect(res.status).toBe(404);
    }
    const none = await fetch(`${om.url}/users/u1/summary`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error: 'authentication_required', message: 'API key required' });
    expect((await call(om, 'GET', '/users/u1/summary', undefined, 'wrong')).body).toEqual({
      error: 'invalid_api_key',
    });
  });
});

describe('legacy build routes and traps', () => {
  it('adds and queries per user; matches carry no metadata or tags', async () => {
    const om = await start({ queryCacheTtlMs: 0 });
    const added = await call(om, 'POST', '/memory/add', {
      content: 'Caller likes jazz music',
      tags: ['conversation'],
      metadata: { conversation_id: 'c1' },
      user_id: '+15551230001',
    });
    expect(added.body).toMatchObject({ primary_sector: 'semantic', sectors: ['semantic'], chunks: 1 });
    await call(om, 'POST', '/memory/add', {
      content: 'Other caller owns a red bicycle',
      user_id: '+15551230002',
    });
    const q = await call(om, 'POST', '/memory/query', {
      query: 'jazz',
      k: 5,
      filters: { user_id: '+15551230001' },
    });
    expect(q.body.query).toBe('jazz');
    expect(q.body.matches).toHaveLength(1);
    const [match] = q.body.matches;
    expect(Object.keys(match).sort()).toEqual(
      ['content', 'id', 'last_seen_at', 'path', 'primary_sector', 'salience', 'score', 'sectors'].sort(),
    );
    expect(match.score).toBe(0);
    const full = await call(om, 'GET', `/memory/${added.body.id}`);
    expect(full.body).toMatchObject({ tags: ['conversation'], metadata: { conversation_id: 'c1' } });
  });

  it('without a user filter, a query searches every user', async () => {
    const om = await start({ queryCacheTtlMs: 0 });
    await call(om, 'POST', '/memory/add', { content: 'Alice enjoys hiking trips', user_id: 'a' });
    await call(om, 'POST', '/memory/add', { content: 'Bob enjoys hiking boots', user_id: 'b' });
    const q = await call(om, 'POST', '/memory/query', { query: 'hiking' });
    expect(q.body.matches).toHaveLength(2);
  });

  it('z-scores: two hits score about +1 and -1', async () => {
    const om = await start({ queryCacheTtlMs: 0 });
    await call(om, 'POST', '/memory/add', { content: 'dog walk park', user_id: 'u' });
    await call(om, 'POST', '/memory/add', { content: 'dog food brand', user_id: 'u' });
    const q = await call(om, 'POST', '/memory/query', { query: 'dog walk', filters: { user_id: 'u' } });
    expect(q.body.matches.map((m: { score: number }) => Math.round(m.score))).toEqual([1, -1]);
  });

  it('deduplicates globally: a second user gets the first user memory id and no summary row', async () => {
    const om = await start();
    const first = await call(om, 'POST', '/memory/add', {
      content: "User's name is John",
      user_id: 'caller-a',
    });
    const second = await call(om, 'POST', '/memory/add', {
      content: "User's name is John",
      user_id: 'caller-b',
    });
    expect(second.body).toMatchObject({ id: first.body.id, deduplicated: true });
    expect((await call(om, 'GET', '/users/caller-b/memories')).body.items).toEqual([]);
    expect((await call(om, 'GET', '/users/caller-b/summary')).status).toBe(404);
  });

  it('truncates long content to an essence, but matches on the full text', async () => {
    const om = await start({ queryCacheTtlMs: 0 });
    const content =
      'Caller Jane Doe phoned about her insurance renewal for the family car. ' +
      'She asked what the premium would be next year and when it is due. ' +
      'She also mentioned that my dog Biscuit has a vet visit on Monday so she is busy. ' +
      'She prefers to be contacted by email rather than phone.';
    expect(content.length).toBeGreaterThan(200);
    const added = await call(om, 'POST', '/memory/add', { content, user_id: 'jane' });
    const stored = await call(om, 'GET', `/memory/${added.body.id}`);
    expect(stored.body.content.length).toBeLessThanOrEqual(200);
    expect(stored.body.content).not.toBe(content);
    const q = await call(om, 'POST', '/memory/query', { query: 'Biscuit', filters: { user_id: 'jane' } });
    expect(q.body.matches[0].content).toBe(stored.body.content);
  });

  it('summary: 404 for unknown users, then frozen; erasure keeps the users row', async () => {
    const om = await start();
    expect(await call(om, 'GET', '/users/%2B15550001/summary')).toEqual({
      status: 404,
      body: { error: 'user not found' },
    });
    await call(om, 'POST', '/memory/add', { content: 'First memory of this caller', user_id: '+15550001' });
    const summary = await call(om, 'GET', '/users/+15550001/summary');
    expect(summary.body).toMatchObject({
      user_id: '+15550001',
      summary: 'User profile initializing...',
      reflection_count: 0,
    });
    const regenerated = await call(om, 'POST', '/users/+15550001/summary/regenerate');
    expect(regenerated.body).toMatchObject({ ok: true, summary: 'User profile initializing...' });
    expect((await call(om, 'DELETE', '/users/+15550001/memories')).body).toEqual({ ok: true, deleted: 1 });
    expect((await call(om, 'GET', '/users/+15550001/summary')).status).toBe(200);
  });

  it('postgres backend updates the heuristic summary', async () => {
    const om = await start({ metadataBackend: 'postgres' });
    await call(om, 'POST', '/memory/add', { content: 'Something memorable', user_id: 'pg' });
    expect((await call(om, 'GET', '/users/pg/summary')).body.summary).toContain('(1 memories, 0 saves)');
  });

  it('identical queries are served from the 60 s cache', async () => {
    const om = await start();
    await call(om, 'POST', '/memory/add', { content: 'likes tea', user_id: 'c' });
    const query = { query: 'tea', k: 3, filters: { user_id: 'c' } };
    expect((await call(om, 'POST', '/memory/query', query)).body.matches).toHaveLength(1);
    await call(om, 'POST', '/memory/add', { content: 'prefers green tea in the morning', user_id: 'c' });
    expect((await call(om, 'POST', '/memory/query', query)).body.matches).toHaveLength(1);
    expect((await call(om, 'POST', '/memory/query', { ...query, k: 4 })).body.matches).toHaveLength(2);
  });

  it('lists newest first with tags and metadata, and deletes by id', async () => {
    const om = await start();
    const one = await call(om, 'POST', '/memory/add', {
      content: 'older memory text',
      tags: ['t'],
      user_id: 'l',
    });
    await new Promise((r) => setTimeout(r, 2));
    await call(om, 'POST', '/memory/add', {
      content: 'newer memory words',
      metadata: { k: 1 },
      user_id: 'l',
    });
    const list = await call(om, 'GET', '/users/l/memories?l=10');
    expect(list.body.items.map((i: { content: string }) => i.content)).toEqual([
      'newer memory words',
      'older memory text',
    ]);
    expect(list.body.items[1].tags).toEqual(['t']);
    expect(await call(om, 'DELETE', `/memory/${one.body.id}`)).toEqual({ status: 200, body: { ok: true } });
    expect(await call(om, 'DELETE', `/memory/${one.body.id}`)).toEqual({ status: 404, body: { err: 'nf' } });
    expect((await call(om, 'POST', '/memory/add', { content: '' })).body).toEqual({ err: 'content' });
  });
});

describe('tenant build (HEAD)', () => {
  it('derives user_id from the key and rejects any other user_id', async () => {
    const om = await start({ build: 'tenant' });
    const tenant = tenantOf(KEY);
    expect(tenant).toHaveLength(16);
    expect((await call(om, 'POST', '/memory/add', { content: 'x y z', user_id: '+1555' })).body.error).toBe(
      'tenant_mismatch',
    );
    expect((await call(om, 'GET', '/users/+1555/summary')).status).toBe(403);
    expect((await call(om, 'POST', '/memory/add', { content: 'tenant memory' })).status).toBe(200);
    expect((await call(om, 'GET', `/users/${tenant}/summary`)).status).toBe(200);
    expect((await call(om, 'POST', '/memory/add', { content: '' })).body).toEqual({
      error: 'invalid_input',
      details: ['content: length < 1'],
    });
  });

  it('fails closed without a configured key', async () => {
    fake = await startOpenMemoryFake({ build: 'tenant' });
    expect((await call(fake, 'POST', '/memory/query', { query: 'x' })).status).toBe(503);
  });
});

describe('faults', () => {
  it('a 503 outage, then recovery', async () => {
    const om = await start();
    om.faults.always({ kind: 'status', status: 503 });
    expect((await call(om, 'POST', '/memory/query', { query: 'x' })).status).toBe(503);
    om.faults.clear();
    expect((await call(om, 'POST', '/memory/query', { query: 'x' })).status).toBe(200);
    expect(om.requests).toHaveLength(2);
  });
});
