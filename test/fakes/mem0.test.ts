import { afterEach, describe, expect, it } from 'bun:test';
import { type Mem0Fake, type Mem0FakeOptions, startMem0Fake } from './mem0.ts';

let fake: Mem0Fake | undefined;

async function start(options: Mem0FakeOptions): Promise<Mem0Fake> {
  fake = await startMem0Fake(options);
  return fake;
}

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function call(
  m: Mem0Fake,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
) {
  const res = await fetch(m.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const conversation = [
  { role: 'user', content: 'My favourite colour is teal' },
  { role: 'assistant', content: 'Noted, teal it is' },
];

describe('OSS REST server', () => {
  const headers = { 'x-api-key': 'oss-key' };

  it('adds, lists, searches and deletes per user', async () => {
    const m = await start({ flavour: 'oss', apiKey: 'oss-key' });
    const added = await call(
      m,
      'POST',
      '/memories',
      { messages: conversation, user_id: 'u1', infer: false },
      headers,
    );
    expect(added.body.results).toHaveLength(2);
    expect(added.body.results[0]).toMatchObject({ memory: 'My favourite colour is teal', event: 'ADD' });
    await call(
      m,
      'POST',
      '/memories',
      { messages: [{ role: 'user', content: 'I like teal too' }], user_id: 'u2' },
      headers,
    );

    const listed = await call(m, 'GET', '/memories?user_id=u1', undefined, headers);
    expect(listed.body.results).toHaveLength(2);
    expect(listed.body.results[0]).toMatchObject({ user_id: 'u1', metadata: {} });

    const found = await call(
      m,
      'POST',
      '/search',
      { query: 'teal colour', filters: { user_id: 'u1' }, top_k: 1 },
      headers,
    );
    expect(found.body.results).toHaveLength(1);
    expect(found.body.results[0]).toMatchObject({ memory: 'My favourite colour is teal', score: 1 });

    expect((await call(m, 'DELETE', '/memories?user_id=u1', undefined, headers)).status).toBe(200);
    expect((await call(m, 'GET', '/memories?user_id=u1', undefined, headers)).body.results).toEqual([]);
    expect((await call(m, 'GET', '/memories?user_id=u2', undefined, headers)).body.results).toHaveLength(1);
  });

  it('infer defaults to true and keeps only the user facts', async () => {
    const m = await start({ flavour: 'oss' });
    const added = await call(m, 'POST', '/memories', { messages: conversation, user_id: 'u' }, {});
    expect(added.body.results.map((r: { memory: string }) => r.memory)).toEqual([
      'My favourite colour is teal',
    ]);
  });

  it('requires an entity id and a key when configured', async () => {
    const m = await start({ flavour: 'oss', apiKey: 'oss-key' });
    expect((await call(m, 'POST', '/memories', { messages: conversation }, headers)).status).toBe(400);
    expect((await call(m, 'POST', '/search', { query: 'x' }, headers)).status).toBe(400);
    expect((await call(m, 'GET', '/memories?user_id=u', undefined, {})).status).toBe(401);
    expect(
      (await call(m, 'GET', '/memories?user_id=u', undefined, { authorization: 'Bearer oss-key' })).status,
    ).toBe(200);
    expect((await call(m, 'POST', '/memories', { user_id: 'u' }, headers)).status).toBe(422);
  });

  it('gets, updates and deletes one memory', async () => {
    const m = await start({ flavour: 'oss' });
    const added = await call(
      m,
      'POST',
      '/memories',
      { messages: conversation, user_id: 'u', infer: false },
      {},
    );
    const id = added.body.results[0].id;
    await call(m, 'PUT', `/memories/${id}`, { text: 'Favourite colour: navy' }, {});
    expect((await call(m, 'GET', `/memories/${id}`, undefined, {})).body.memory).toBe(
      'Favourite colour: navy',
    );
    expect((await call(m, 'DELETE', `/memories/${id}`, undefined, {})).status).toBe(200);
    expect((await call(m, 'GET', `/memories/${id}`, undefined, {})).status).toBe(404);
  });
});

describe('hosted platform', () => {
  const headers = { authorization: 'Token plat-key' };

  it('checks the Token header on ping', async () => {
    const m = await start({ flavour: 'platform', apiKey: 'plat-key' });
    expect((await call(m, 'GET', '/v1/ping/', undefined, headers)).body.status).toBe('ok');
    expect((await call(m, 'GET', '/v1/ping/', undefined, { authorization: 'Token bad' })).status).toBe(401);
    expect((await call(m, 'GET', '/v1/ping/', undefined, { authorization: 'Bearer plat-key' })).status).toBe(
      401,
    );
  });

  it('adds asynchronously: PENDING event first, memories after the event ran', async () => {
    const m = await start({ flavour: 'platform', apiKey: 'plat-key', eventDelayMs: 60_000 });
    const added = await call(
      m,
      'POST',
      '/v3/memories/add/',
      { messages: conversation, user_id: 'p1' },
      headers,
    );
    expect(added.body).toMatchObject({ status: 'PENDING' });
    const search = { query: 'teal', filters: { user_id: 'p1' } };
    expect((await call(m, 'POST', '/v3/memories/search/', search, headers)).body.results).toEqual([]);
    expect((await call(m, 'GET', `/v1/event/${added.body.event_id}/`, undefined, headers)).body.status).toBe(
      'PENDING',
    );
    await m.flush();
    const event = await call(m, 'GET', `/v1/event/${added.body.event_id}/`, undefined, headers);
    expect(event.body).toMatchObject({ status: 'SUCCEEDED', results: [{ event: 'ADD' }] });
    const found = await call(m, 'POST', '/v3/memories/search/', search, headers);
    expect(found.body.results[0]).toMatchObject({
      memory: 'My favourite colour is teal',
      user_id: 'p1',
      agent_id: null,
    });
  });

  it('infer:false adds synchronously; search needs ids inside filters', async () => {
    const m = await start({ flavour: 'platform', apiKey: 'plat-key' });
    const body = { messages: conversation, user_id: 'p2', agent_id: 'ag', infer: false };
    expect((await call(m, 'POST', '/v3/memories/add/', body, headers)).body.results).toHaveLength(2);
    expect(
      (await call(m, 'POST', '/v3/memories/search/', { query: 'teal', user_id: 'p2' }, headers)).status,
    ).toBe(400);
    const filters = { AND: [{ user_id: 'p2' }, { agent_id: 'ag' }] };
    const found = await call(m, 'POST', '/v3/memories/search/', { query: 'teal', filters }, headers);
    expect(found.body.results).toHaveLength(2);
    const page = await call(
      m,
      'POST',
      '/v3/memories/?page=1&page_size=1',
      { filters: { user_id: 'p2' } },
      headers,
    );
    expect(page.body).toMatchObject({ count: 2, previous: null });
    expect(page.body.next).toContain('page=2');
    expect((await call(m, 'DELETE', '/v1/memories/?user_id=p2', undefined, headers)).status).toBe(200);
    expect((await call(m, 'GET', '/v1/memories/?user_id=p2', undefined, headers)).body).toEqual([]);
  });

  it('events still pending at close() do not keep timers alive', async () => {
    const m = await start({ flavour: 'platform', eventDelayMs: 60_000 });
    await call(
      m,
      'POST',
      '/v3/memories/add/',
      { messages: conversation, user_id: 'p3' },
      { authorization: 'Token test-mem0-key' },
    );
    const started = Date.now();
    await m.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('scripted 429 then success', async () => {
    const m = await start({ flavour: 'platform', apiKey: 'plat-key' });
    m.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '2' } });
    const limited = await call(m, 'GET', '/v1/ping/', undefined, headers);
    expect(limited).toEqual({ status: 429, body: { detail: 'Request was throttled.' } });
    expect((await call(m, 'GET', '/v1/ping/', undefined, headers)).status).toBe(200);
  });
});
