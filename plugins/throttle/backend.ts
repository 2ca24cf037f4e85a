/**
 * Which counter store is in use: Redis when the shared connection is ready, memory otherwise.
 * Each switch is logged once (to memory on the first failure, back to Redis when it is ready again).
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../src/log.ts';
import { redisReady } from '../../src/redis.ts';

/** Tracks whether throttle counts in Redis or in memory. */
export class Backend {
  private degraded = false;

  constructor(
    readonly redis: Redis | null,
    private readonly logger: Logger,
  ) {}

  /** True when Redis should be used for the next operation. */
  useRedis(): boolean {
    if (!this.redis) return false;
    const status = this.redis.status;
    const ready = redisReady(this.redis);
    if (ready && this.degraded) {
      this.degraded = false;
      this.logger.info({ store: 'redis' }, 'throttle: Redis is back; counting in Redis again');
    } else if (!ready) {
      this.fail(new Error(`connection ${status}`));
    }
    return ready;
  }

  /** Records a Redis failure: from now on, memory until the connection is ready again. */
  fail(error: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    this.logger.warn(
      { store: 'memory', err: { message: (error as Error)?.message } },
      'throttle: Redis unavailable; counting in memory until it returns',
    );
  }

  /** 'redis', 'memory' (no Redis configured) or 'memory-fallback'. */
  get store(): string {
    if (!this.redis) return 'memory';
    return this.degraded ? 'memory-fallback' : 'redis';
  }
}
