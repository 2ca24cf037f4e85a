import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { route } from './faults.ts';
import { type FakeServer, startFakeServer } from './server.ts';

let fake: FakeServer;

beforeEach(async () => {
  fake = await startFakeServer({
    handle: (req) => ({ status: 200, body: { ok: true, path: req.path, echo: req.body } }),
    errorBody: (status) => ({ error: `upstream ${status}` }),
  });
});

afterEach(async () => {
  await fake.close();
});

function post(path: string, body: unknown): Promise<Response> {
  return fetch(fake.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('fake server plumbing', () => {
  it('listens on 127.0.0.1 with a random port and records requests', async () => {
    expect(fake.url).toBe(`http://127.0.0.1:${fake.port}`);
    const res = await post('/a?x=1', { hello: 'world' });
    expect(await res.json()).toEqual({ ok: true, path: '/a', echo: { hello: 'world' } });
    expect(fake.requests).toHaveLength(1);
    const [req] = fake.requests;
    expect(req.method).toBe('POST');
    expect(req.query.get('x')).toBe('1');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toEqual({ hello: 'world' });
  });

  it('parses multipart bodies into fields and files', async () => {
    const form = new FormData();
    form.append('name', 'doc');
    form.append('file', new File([new Uint8Array([104, 105])], 'hi.txt', { type: 'text/plain' }));
    await fetch(`${fake.url}/upload`, { method: 'POST', body: form });
    const body = fake.requests[0].body as Record<string, any>;
    expect(body.name).toBe('doc');
    expect(body.file.filename).toBe('hi.txt');
    expect(Array.from(body.file.bytes)).toEqual([104, 105]);
  });
});

describe('status faults', () => {
  it('answers the scripted status once, with headers and the default error body', async () => {
    fake.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    const first = await post('/x', {});
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(await first.json()).toEqual({ error: 'upstream 429' });
    expect((await post('/x', {})).status).toBe(200);
    expect(fake.requests.map((r) => r.fault)).toEqual(['status', undefined]);
  });

  it('uses an explicit body and honours times', async () => {
    fake.faults.push({ kind: 'status', status: 503, body: { custom: true }, times: 2 });
    expect((await post('/x', {})).status).toBe(503);
    const second = await post('/x', {});
    expect(await second.json()).toEqual({ custom: true });
    expect((await post('/x', {})).status).toBe(200);
  });

  it('applies only to matching requests, in push order', async () => {
    fake.faults.push(
      { kind: 'status', status: 500, match: route('POST', '/b') },
      { kind: 'status', status: 400 },
    );
    expect((await post('/b', {})).status).toBe(500);
    expect((await post('/b', {})).status).toBe(400);
    expect((await post('/b', {})).status).toBe(200);
    expect(fake.faults.pending).toBe(0);
  });

  it('always() lasts until clear()', async () => {
    fake.faults.always({ kind: 'status', status: 503 });
    for (let i = 0; i < 3; i++) expect((await post('/x', {})).status).toBe(503);
    fake.faults.clear();
    expect((await post('/x', {})).status).toBe(200);
  });
});

describe('reset faults', () => {
  it('destroys the socket without an answer', async () => {
    // Deno's fetch silently retries once on a reset pooled connection, so keep the outage on.
    fake.faults.always({ kind: 'reset', match: route('POST', '/boom') });
    await expect(post('/boom', { a: 1 })).rejects.toThrow();
    fake.faults.clear();
    expect((await post('/boom', {})).status).toBe(200);
    expect(fake.requests[0]).toMatchObject({ path: '/boom', fault: 'reset', body: { a: 1 } });
  });
});

describe('delay faults', () => {
  it('answers normally after the delay', async () => {
    fake.faults.push({ kind: 'delay', ms: 80 });
    const started = Date.now();
    const res = await post('/slow', {});
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    expect(fake.requests[0].fault).toBe('delay');
  });

  it('close() cancels a pending delay promptly and the client sees an error', async () => {
    fake.faults.push({ kind: 'delay', ms: 60_000 });
    const pending = post('/slow', {}).then(
      () => 'answered',
      () => 'failed',
    );
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await fake.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toBe('failed');
  });
});

describe('close()', () => {
  it('closes promptly with idle keep-alive connections open', async () => {
    for (let i = 0; i < 3; i++) await (await post('/k', {})).text();
    const started = Date.now();
    await fake.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(fetch(`${fake.url}/k`)).rejects.toThrow();
  });
});
