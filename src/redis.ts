/**
 * The shared Redis connection (ioredis), set up to fail fast so callers can fall back to memory:
 * no offline queue, no per-request retries, and reconnection in the background.
 */
import type { Redis } from 'ioredis';
import type { Logger } from './log.ts';

/** Opens the connection. ioredis is loaded here, on demand: without REDIS_URL it costs no memory. */
export async function connectRedis(url: string, logger: Logger, keyPrefix = ''): Promise<Redis> {
  const { Redis } = await import('ioredis');
  let warned = false;
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    // A half-open connection must not hang callers: fail and let them fall back.
    commandTimeout: 1000,
    keyPrefix,
    retryStrategy: (times) => Math.min(200 * times, 2000),
  });
  client.on('error', (error) => {
    if (warned) return;
    warned = true;
    logger.warn(
      { err: { message: error.message } },
      'redis unavailable; using in-memory fallbacks until it returns',
    );
  });
  client.on('ready', () => {
    if (warned) logger.info('redis connection restored');
    warned = false;
  });
  client.connect().catch(() => {
    // reported by the error listener; ioredis keeps reconnecting
  });
  return client;
}

/** True when the connection can take commands right now. */
export function redisReady(client: Redis | null | undefined): client is Redis {
  return !!client && client.status === 'ready';
}

export async function pingRedis(client: Redis): Promise<{ ok: boolean; latencyMs: number; detail?: string }> {
  const started = performance.now();
  try {
    if (client.status !== 'ready') throw new Error(`connection ${client.status}`);
    await client.ping();
    return { ok: true, latencyMs: performance.now() - started };
  } catch (error) {
    return { ok: false, latencyMs: performance.now() - started, detail: (error as Error).message };
  }
}
