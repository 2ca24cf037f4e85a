/**
 * The real Redis on 127.0.0.1:6379 for tests. With REQUIRE_REDIS=1 (CI) a missing Redis fails
 * the test run instead of silently skipping; otherwise `redisAvailable` is false and callers
 * skip with that reason.
 */
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function probe(): Promise<boolean> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export const redisAvailable: boolean = await probe();

if (!redisAvailable && process.env.REQUIRE_REDIS === '1') {
  throw new Error(`REQUIRE_REDIS=1 but Redis does not answer at ${REDIS_URL}`);
}

/** A key prefix unique to one test, so parallel files never see each other's keys. */
export function uniquePrefix(label: string): string {
  return `test:${label}:${crypto.randomUUID().slice(0, 8)}:`;
}
