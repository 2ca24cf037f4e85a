/**
 * Rate limits per dimension (client IP, user agent, API key) on rate-limiter-flexible: a
 * RateLimiterRedis per dimension with a RateLimiterMemory as its insurance (wrapped so a failed
 * command is reported, see insurance.ts), so a Redis outage falls back to memory instead of failing
 * or letting everything through.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Clock } from '../../src/clock.ts';
import type { HeaderAuthService } from '../header-auth/index.ts';
import type { Backend } from './backend.ts';
import type { ThrottleConfig } from './config.ts';
import { ReportingInsurance } from './insurance.ts';

/** A rate-limit dimension. */
export type Dimension = 'ip' | 'user_agent' | 'api_key';

/** The outcome of one dimension for one request. */
export interface LimitState {
  dimension: Dimension;
  limit: number;
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
  allowed: boolean;
}

interface Limiter {
  dimension: Dimension;
  limit: number;
  redis: RateLimiterRedis | null;
  memory: RateLimiterMemory;
}

/** A short, stable, non-reversible label for a value that must not be stored as is (a key) or is long (a UA). */
export function hashLabel(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 16);
}

const BEARER = /^Bearer[ \t]+(\S+)/i;

/** The api_key identity of a request, or null when it has none there (then that limit does not apply). */
export type CallerOf = (request: Request) => string | null;

/**
 * The bucket every presented key that matches no configured key shares. `~` cannot occur in a key
 * name, so no caller is ever counted in it.
 */
export const INVALID_KEY_BUCKET = '~invalid';

/** Alone (no header-auth to say which keys exist): the presented key, under a hash. */
export function presentedKeyLabel(request: Request): string | null {
  const bearer = BEARER.exec(request.headers.get('authorization') ?? '');
  const key = bearer?.[1] ?? request.headers.get('x-api-key')?.trim();
  return key ? hashLabel(key) : null;
}

/**
 * With header-auth: a configured key counts under its name; every other presented key shares
 * {@link INVALID_KEY_BUCKET}, so inventing keys never buys a fresh bucket; no key, no api_key limit.
 */
export function callerOfKeys(auth: Pick<HeaderAuthService, 'identify'>): CallerOf {
  return function keyName(request) {
    const who = auth.identify(request);
    if (who === null) return null;
    return who === 'invalid' ? INVALID_KEY_BUCKET : who.name;
  };
}

/** The identity of each dimension for a request; null when it has none. */
export function identities(
  request: Request,
  ip: string,
  callerOf: CallerOf = presentedKeyLabel,
): Record<Dimension, string | null> {
  const agent = request.headers.get('user-agent');
  return {
    ip,
    user_agent: agent ? hashLabel(agent) : 'none',
    api_key: callerOf(request),
  };
}

/** The configured limiters. */
export class Limits {
  private readonly limiters: Limiter[] = [];
  private readonly windowMs: number;

  constructor(
    config: ThrottleConfig,
    private readonly backend: Backend,
    private readonly clock: Clock,
  ) {
    this.windowMs = config.windowSeconds * 1000;
    const configured: Array<[Dimension, number | undefined]> = [
      ['ip', config.rateLimit],
      ['user_agent', config.rateLimitPerUserAgent],
      ['api_key', config.rateLimitPerApiKey],
    ];
    for (const [dimension, limit] of configured) {
      if (!limit) continue;
      const options = {
        points: limit,
        duration: config.windowSeconds,
        keyPrefix: `throttle:rl:${dimension}`,
      };
      const memory = new RateLimiterMemory(options);
      const redis = backend.redis
        ? new RateLimiterRedis({
            ...options,
            storeClient: backend.redis as Redis,
            insuranceLimiter: new ReportingInsurance(memory, (error) => backend.fail(error)),
            rejectIfRedisNotReady: true,
          })
        : null;
      this.limiters.push({ dimension, limit, redis, memory });
    }
  }

  /** Whether any limit is configured. */
  get active(): boolean {
    return this.limiters.length > 0;
  }

  /** Consumes one point in every dimension the request has; the states, tightest first. */
  async consume(ids: Record<Dimension, string | null>): Promise<LimitState[]> {
    const states: LimitState[] = [];
    for (const limiter of this.limiters) {
      const id = ids[limiter.dimension];
      if (id !== null) states.push(await this.consumeOne(limiter, id));
    }
    return states.sort((a, b) => Number(a.allowed) - Number(b.allowed) || a.remaining - b.remaining);
  }

  /**
   * Windows are fixed and aligned on our clock: window n covers [n·W, (n+1)·W) and its count lives
   * under `<id>:<n>`. The library's own window starts at a key's first hit and ends by Date.now()
   * or Redis's TTL, which an injected clock cannot move; its TTL (one window from the first hit)
   * now only clears a key after its window has ended. Instances share windows through the clock.
   */
  private async consumeOne(limiter: Limiter, id: string): Promise<LimitState> {
    const now = this.clock.now();
    const window = Math.floor(now / this.windowMs);
    const store = limiter.redis && this.backend.useRedis() ? limiter.redis : limiter.memory;
    let res: RateLimiterRes;
    let allowed = true;
    try {
      res = await store.consume(`${id}:${window}`);
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        res = error;
        allowed = false;
      } else {
        // Not expected (the insurance answers), but never a 500 and never no limit.
        this.backend.fail(error);
        return this.consumeOne({ ...limiter, redis: null }, id);
      }
    }
    return {
      dimension: limiter.dimension,
      limit: limiter.limit,
      remaining: Math.max(0, res.remainingPoints),
      resetMs: (window + 1) * this.windowMs - now,
      allowed,
    };
  }
}
