import { describe, expect, it } from 'bun:test';
import { testCore } from '../helpers/core.ts';
import { probePlugin } from '../helpers/plugins.ts';

describe('/health', () => {
  it('is healthy with every dependency up', async () => {
    const { request } = await testCore({ plugins: [probePlugin()] });
    const response = await request('/health');
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.status).toBe('healthy');
    expect(body.checks.database).toMatchObject({ status: 'up', required: true });
    expect(typeof body.checks.database.latencyMs).toBe('number');
  });

  it('answers 503 when a required dependency is down', async () => {
    const state = { health: { status: 'down' as const, required: true, detail: 'connection refused' } };
    const { request } = await testCore({ plugins: [probePlugin(state)] });
    const response = await request('/health');
    expect(response.status).toBe(503);
    const body = await response.json();
    expect(body.status).toBe('unhealthy');
    expect(body.checks.probe).toMatchObject({ status: 'down', detail: 'connection refused' });
  });

  it('is degraded, not down, when optional Redis is unreachable', async () => {
    const { request, core } = await testCore({ config: { redis: { url: 'redis://127.0.0.1:1' } } });
    const response = await request('/health');
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.status).toBe('degraded');
    expect(body.checks.redis.status).toBe('down');
    await core.stop();
  });

  it('reports the ElevenLabs API down when the key is set and the API is unreachable', async () => {
    const { request } = await testCore({
      config: { elevenlabs: { apiKey: 'k', baseUrl: 'http://127.0.0.1:1' } },
    });
    const body = await (await request('/health')).json();
    expect(body.checks.elevenlabs).toMatchObject({ status: 'down', required: false });
  });
});
