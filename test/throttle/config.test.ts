/** Throttle settings that could never work stop the boot, naming the key and where it came from. */
import { describe, expect, it } from 'bun:test';
import { throttlePlugin } from '../../plugins/throttle/index.ts';
import { testCore } from '../helpers/core.ts';

describe('throttle configuration', () => {
  it('refuses an anomaly threshold above the 1000 events a window keeps', async () => {
    await expect(
      testCore({ plugins: [throttlePlugin], env: { ANOMALY_FAILURE_THRESHOLD: '1001' } }),
    ).rejects.toThrow(/throttle\.anomalyFailureThreshold \(env ANOMALY_FAILURE_THRESHOLD\).*1000/);
    const { core } = await testCore({
      plugins: [throttlePlugin],
      env: { ANOMALY_FAILURE_THRESHOLD: '1000' },
    });
    expect(core.config.throttle.anomalyFailureThreshold).toBe(1000);
    await core.stop();
  });
});
