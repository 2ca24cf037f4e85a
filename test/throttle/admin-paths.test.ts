/** The admin API and /metrics are throttled by default, so an admin key cannot be brute-forced. */
import { describe, expect, it } from 'bun:test';
import { headerAuthPlugin } from '../../plugins/header-auth/index.ts';
import { kbSyncPlugin } from '../../plugins/kb-sync/index.ts';
import { metricsPlugin } from '../../plugins/metrics/index.ts';
import { throttlePlugin } from '../../plugins/throttle/index.ts';
import { testCore } from '../helpers/core.ts';

describe('throttling of admin routes', () => {
  it('answers 429 to an IP that keeps guessing the admin key on /api/knowledge and /metrics', async () => {
    const { request, core } = await testCore({
      plugins: [throttlePlugin, headerAuthPlugin, kbSyncPlugin, metricsPlugin],
      env: {
        ADMIN_API_KEYS: 'ops:the-real-admin-key-123',
        ANOMALY_IP_THROTTLING: 'true',
        ANOMALY_FAILURE_THRESHOLD: '3',
      },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await request('/api/knowledge', { headers: { 'x-api-key': `guess-${i}` } })).status);
    }
    statuses.push((await request('/metrics', { headers: { 'x-api-key': 'guess-m' } })).status);
    statuses.push(
      (await request('/api/knowledge', { headers: { 'x-api-key': 'the-real-admin-key-123' } })).status,
    );
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3)).toEqual([429, 429]);
    await core.stop();
  });
});
