import { describe, expect, it } from 'bun:test';
import { testCore } from '../helpers/core.ts';

describe('CORS', () => {
  it('is off by default', async () => {
    const { request } = await testCore();
    const response = await request('/', { headers: { origin: 'https://app.example' } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows the configured origins only', async () => {
    const { request } = await testCore({ env: { CORS_ORIGINS: 'https://app.example' } });
    const allowed = await request('/', { headers: { origin: 'https://app.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const other = await request('/', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
    const preflight = await request('/health', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });
});
