/** Anomaly detection (SEC-7, OBS-1.8) with an injected clock, in memory and on the real Redis. */
import { afterEach, describe, expect, it } from 'bun:test';
import { redisAvailable } from '../helpers/redis.ts';
import { BACKENDS, type ThrottleCore, throttleCore } from './helpers.ts';

const anomalies = (app: ThrottleCore, type?: string) =>
  app.logs.filter((l) => l.msg === 'anomaly detected' && (!type || l.anomaly_type === type));

for (const backend of BACKENDS) {
  const suite = backend.redis ? describe.skipIf(!redisAvailable) : describe;
  suite(`anomaly detection (${backend.name}${backend.redis ? ', needs Redis' : ''})`, () => {
    let app: ThrottleCore | undefined;
    afterEach(async () => {
      await app?.core.stop();
      app = undefined;
    });
    const make = (config: Record<string, unknown>) =>
      throttleCore(config, backend.redis).then((a) => (app = a));

    async function failAuth(a: ThrottleCore, ip: string, times: number) {
      for (let i = 0; i < times; i++) {
        expect((await a.call('/admin/stats', ip, { 'x-api-key': 'wrong' })).status).toBe(401);
        await a.settled();
      }
    }

    it('logs one structured WARN when an IP reaches 5 auth failures in 5 minutes', async () => {
      const a = await make({});
      await failAuth(a, '203.0.113.7', 4);
      expect(anomalies(a)).toHaveLength(0);
      await failAuth(a, '203.0.113.7', 2);
      const found = anomalies(a);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({
        level: 'warn',
        anomaly_type: 'auth_failure',
        client_ip: '203.0.113.7',
        failure_count: 5,
        window_seconds: 300,
      });
      expect(typeof found[0]!.request_id).toBe('string');
      expect(await a.core.metrics.metrics()).toContain('elaoms_anomalies_total{type="auth_failure"} 1');
      // IP throttling is off by default: still 401, not 429.
      expect((await a.call('/admin/stats', '203.0.113.7', { 'x-api-key': 'wrong' })).status).toBe(401);
    });

    it('slides: failures older than the window no longer count', async () => {
      const a = await make({});
      await failAuth(a, '203.0.113.8', 4);
      a.clock.advance(301_000);
      await failAuth(a, '203.0.113.8', 4);
      expect(anomalies(a)).toHaveLength(0);
      a.clock.advance(100_000);
      await failAuth(a, '203.0.113.8', 1);
      expect(anomalies(a)).toHaveLength(1);
    });

    it('throttles the IP with 429 until its window clears, when IP throttling is on', async () => {
      const a = await make({ ipThrottling: true, anomalyFailureThreshold: 3, anomalyWindowSeconds: 60 });
      await failAuth(a, '203.0.113.9', 3);
      const blocked = await a.call('/admin/stats', '203.0.113.9', {
        'x-api-key': 'ak_throttle_test_0123456789',
      });
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get('retry-after')).toBe('60');
      expect((await a.call('/webhooks/ping', '203.0.113.10')).status).toBe(200);
      a.clock.advance(30_000);
      expect((await a.call('/webhooks/ping', '203.0.113.9')).headers.get('retry-after')).toBe('30');
      a.clock.advance(30_001);
      expect(
        (await a.call('/admin/stats', '203.0.113.9', { 'x-api-key': 'ak_throttle_test_0123456789' })).status,
      ).toBe(200);
    });

    it('detects spikes of rate-limit hits and of quarantine failures', async () => {
      const a = await make({ rateLimit: 1, anomalyFailureThreshold: 3 });
      for (let i = 0; i < 4; i++) await a.call('/webhooks/ping', '198.51.100.20');
      await a.settled();
      expect(anomalies(a, 'rate_limit_spike')).toEqual([
        expect.objectContaining({ client_ip: '198.51.100.20', failure_count: 3 }),
      ]);
      for (let i = 0; i < 3; i++)
        a.core.events.emit('quarantine.failure', { ip: `192.0.2.${i}`, reason: 'hold: disk full' });
      await a.settled();
      expect(anomalies(a, 'quarantine_failure_spike')).toHaveLength(1);
    });

    it('watches nothing when disabled, and skips quarantine failures when their alert is off', async () => {
      const a = await make({
        anomalyDetection: true,
        alertOnQuarantineFailures: false,
        anomalyFailureThreshold: 1,
      });
      a.core.events.emit('quarantine.failure', { ip: '192.0.2.1', reason: 'x' });
      await a.settled();
      expect(anomalies(a)).toHaveLength(0);
      await a.core.stop();
      const b = await make({ anomalyDetection: false, anomalyFailureThreshold: 1 });
      await failAuth(b, '192.0.2.2', 3);
      expect(anomalies(b)).toHaveLength(0);
    });
  });
}
