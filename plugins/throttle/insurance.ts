/**
 * The insurance limiter of a RateLimiterRedis. When a Redis command fails (a script error, a key
 * of the wrong type, a paused server) while the connection still says `ready`, the library
 * answers from its insurance and swallows the error: nothing is logged and /health still says
 * redis. This wrapper reports each such use first (the backend logs it once and switches to
 * memory, so /health shows the fallback), then counts in the same memory limiter that the direct
 * fallback uses, so both paths share one count.
 */
import {
  RateLimiterCompatibleAbstract,
  type RateLimiterMemory,
  type RateLimiterRes,
} from 'rate-limiter-flexible';

type Options = { [key: string]: unknown };

export class ReportingInsurance extends RateLimiterCompatibleAbstract {
  constructor(
    private readonly memory: RateLimiterMemory,
    private readonly report: (error: Error) => void,
  ) {
    super();
  }

  private used(operation: string): RateLimiterMemory {
    this.report(new Error(`a Redis command failed; the rate limiter answered ${operation} from memory`));
    return this.memory;
  }

  // @ts-expect-error the library declares these as fields; the base class defines them as accessors.
  override get keyPrefix(): string {
    return this.memory.keyPrefix;
  }
  // @ts-expect-error as above
  override get blockDuration(): number {
    return this.memory.blockDuration;
  }
  override set blockDuration(value: number) {
    this.memory.blockDuration = value;
  }
  // @ts-expect-error as above
  override get execEvenly(): boolean {
    return this.memory.execEvenly;
  }
  override set execEvenly(value: boolean) {
    this.memory.execEvenly = value;
  }

  override consume(key: string | number, points?: number, options?: Options): Promise<RateLimiterRes> {
    return this.used('consume').consume(key, points, options);
  }
  override penalty(key: string | number, points?: number, options?: Options): Promise<RateLimiterRes> {
    return this.used('penalty').penalty(key, points, options);
  }
  override reward(key: string | number, points?: number, options?: Options): Promise<RateLimiterRes> {
    return this.used('reward').reward(key, points, options);
  }
  override get(key: string | number, options?: Options): Promise<RateLimiterRes | null> {
    return this.used('get').get(key, options);
  }
  override set(key: string | number, points: number, secDuration: number, options?: Options) {
    return this.used('set').set(key, points, secDuration, options);
  }
  override block(key: string | number, secDuration: number, options?: Options) {
    return this.used('block').block(key, secDuration, options);
  }
  override delete(key: string | number, options?: Options): Promise<boolean> {
    return this.used('delete').delete(key, options);
  }
}
