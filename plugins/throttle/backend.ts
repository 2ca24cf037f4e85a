/**
 * Which counter store is in use: Redis when the shared connection is ready, memory otherwise.
 * Each switch is logged once. After a failure, Redis is used again when the connection reports
 * `ready` anew, or, if it never dropped (a failed command on a live connection), after a pause;
 * status alone is not enough, since it still says `ready` for a moment after the socket is gone.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../src/log.ts';
import { redisReady } from '../../src/redis.ts';

/** How long a failed but still `ready` connection is left alone before Redis is tried again. */
export const RETRY_AFTER_FAILURE_MS = 5000;

/** Tracks whether throttle counts in Redis or in memory. */
export class Backend {
  private degraded = false;
  private degradedAt = 0;
  private readySinceFailure = false;
  private readonly onReady = () => {
    this.readySinceFailure = true;
  };

  constructor(
    readonly redis: Redis | null,
    private readonly logger: Logger,
  ) {
    redis?.on('ready', this.onReady);
  }

  /** True when Redis should be used for the next operation. */
  useRedis(): boolean {
    if (!this.redis) return false;
    const status = this.redis.status;
    const ready = redisReady(this.redis);
    if (!ready) {
      this.fail(new Error(`connection ${status}`));
      return false;
    }
    if (!this.degraded) return true;
    if (!this.readySinceFailure && performance.now() - this.degradedAt < RETRY_AFTER_FAILURE_MS) return false;
    this.degraded = false;
    this.logger.info({ store: 'redis' }, 'throttle: Redis is back; counting in Redis again');
    return true;
  }

  /** Records a Redis failure: from now on, memory until the connection is ready again. */
  fail(error: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    this.degradedAt = performance.now();
    this.readySinceFailure = false;
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

  /** Removes the connection listener. */
  close(): void {
    this.redis?.off('ready', this.onReady);
  }
}
