import { describe, expect, it } from 'bun:test';
import { postJson, testCore } from '../helpers/core.ts';
import { probePlugin } from '../helpers/plugins.ts';

describe('request id and access log', () => {
  it('puts the request id on every log line of the request and in the response', async () => {
    const { request, logs } = await testCore({ plugins: [probePlugin()] });
    const response = await request('/probe/log');
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const lines = logs.filter((l) => l.request_id === id);
    expect(lines.map((l) => l.msg)).toEqual(['handler ran', 'request']);
    expect(lines[0]).toMatchObject({ plugin: 'probe', step: 'inside' });
    expect(lines[1]).toMatchObject({ method: 'GET', path: '/probe/log', status: 200, client_ip: 'unknown' });
    expect(typeof lines[1]!.duration_ms).toBe('number');
  });

  it('keeps a valid incoming x-request-id and replaces an invalid one', async () => {
    const { request } = await testCore();
    const kept = await request('/', { headers: { 'x-request-id': 'abc-123.x' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123.x');
    const replaced = await request('/', { headers: { 'x-request-id': 'bad id with spaces\u0001' } });
    expect(replaced.headers.get('x-request-id')).not.toContain('bad');
  });

  it('redacts secrets and signature headers in log lines', async () => {
    const { core, logs } = await testCore();
    core.logger.info(
      { headers: { authorization: 'Bearer sk-live', 'elevenlabs-signature': 't=1,v0=ab' } },
      'x',
    );
    const line = JSON.stringify(logs.at(-1));
    expect(line).not.toContain('sk-live');
    expect(line).not.toContain('v0=ab');
    expect(line).toContain('[redacted]');
  });
});

describe('error mapping', () => {
  it('answers an unknown route 404 with a detail', async () => {
    const { request } = await testCore();
    const response = await request('/nowhere');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ detail: 'Not Found' });
  });

  it('answers malformed JSON 400', async () => {
    const { request } = await testCore({ plugins: [probePlugin()] });
    const response = await request('/probe/echo', postJson('{"name": '));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ detail: 'Invalid JSON payload' });
  });

  it('answers a schema failure 422 naming the field', async () => {
    const { request } = await testCore({ plugins: [probePlugin()] });
    const response = await request('/probe/echo', postJson({ name: 'a', age: 'old' }));
    expect(response.status).toBe(422);
    expect((await response.json()).detail).toContain('age');
  });

  it('answers an unexpected error 500 with the request id and no stack', async () => {
    const { request, logs } = await testCore({ plugins: [probePlugin()] });
    const response = await request('/probe/boom');
    expect(response.status).toBe(500);
    const body = await response.json();
    expect(body.detail).toBe('Internal server error');
    expect(body.request_id).toBe(response.headers.get('x-request-id')!);
    expect(JSON.stringify(body)).not.toContain('secret stack detail');
    const logged = logs.find((l) => l.msg === 'unhandled error');
    expect(logged?.err?.stack).toContain('secret stack detail');
    expect(logged?.request_id).toBe(body.request_id);
  });
});

describe('root and docs', () => {
  it('describes the service and its plugins', async () => {
    const { request } = await testCore({ plugins: [probePlugin()] });
    const body = await (await request('/')).json();
    expect(body).toMatchObject({ status: 'running', plugins: ['probe'] });
  });

  it('serves the OpenAPI UI and spec', async () => {
    const { request } = await testCore({ plugins: [probePlugin()] });
    expect((await request('/docs')).status).toBe(200);
    const spec = await (await request('/docs/json')).json();
    expect(Object.keys(spec.paths)).toContain('/probe/echo');
  });
});
