import { describe, expect, it } from 'bun:test';
import { headerAuthPlugin } from '../../plugins/header-auth/index.ts';
import { metricsPlugin } from '../../plugins/metrics/index.ts';
import { testCore } from '../helpers/core.ts';

const plugins = [headerAuthPlugin, metricsPlugin];

describe('/metrics', () => {
  it('serves Prometheus text behind the admin key, counting requests by route and status', async () => {
    const { request } = await testCore({ plugins, env: { ADMIN_API_KEYS: 'ops:admin-secret-1' } });
    await request('/health');
    await request('/nowhere');
    expect((await request('/metrics')).status).toBe(401);
    const response = await request('/metrics', { headers: { 'x-api-key': 'admin-secret-1' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('elaoms_http_requests_total{method="GET",route="/health",status="200"} 1');
    expect(text).toContain('route="unmatched",status="404"');
    expect(text).toContain('elaoms_process_resident_memory_bytes');
  });

  it('answers 503 when no admin key is configured (fail closed)', async () => {
    const { request } = await testCore({ plugins });
    const response = await request('/metrics');
    expect(response.status).toBe(503);
    expect((await response.json()).detail).toContain('ADMIN_API_KEYS');
  });

  it('can be served on a separate port instead', async () => {
    const { request, core } = await testCore({
      plugins,
      env: { METRICS_PORT: String(20000 + Math.floor(Math.random() * 20000)) },
    });
    await core.start();
    expect((await request('/metrics')).status).toBe(404);
    const port = core.config.metrics.port;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toContain('elaoms_http_requests_total');
    await core.stop();
  });
});

describe('metrics mounted alone', () => {
  it('serves /metrics inside a host Elysia app that keeps its own routes', async () => {
    const { Elysia } = await import('elysia');
    const { metrics } = await import('../../plugins/metrics/index.ts');
    const host = new Elysia()
      .get('/host', () => 'host ok')
      .use(
        await metrics({
          config: { database: { path: ':memory:' }, headerAuth: { adminKeys: ['ops:metrics-admin-key'] } },
        }),
      );
    expect(await (await host.handle(new Request('http://localhost/host'))).text()).toBe('host ok');
    expect((await host.handle(new Request('http://localhost/metrics'))).status).toBe(401);
    const response = await host.handle(
      new Request('http://localhost/metrics', { headers: { authorization: 'Bearer metrics-admin-key' } }),
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('elaoms_process_cpu_seconds_total');
  });
});
