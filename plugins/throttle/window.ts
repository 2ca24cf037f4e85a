/**
 * Sliding windows of event times (anomaly detection), with the time passed in so tests inject a
 * clock: in Redis a sorted set updated by one Lua script (atomic across instances), in memory a
 * Map of sorted arrays. Each key keeps at most `cap` recent entries.
 */
import type { Redis } from 'ioredis';
import type { Backend } from './backend.ts';

/** Entries kept per key at most; the count reported saturates there. */
export const WINDOW_CAP = 1000;

const SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[1], now, ARGV[3]) end
local n = redis.call('ZCARD', KEYS[1])
local cap = tonumber(ARGV[4])
if n > cap then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - cap - 1) end
if n > 0 then redis.call('PEXPIRE', KEYS[1], window) end
return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')`;

/** Event times (ms) of one key within the window, oldest first. */
export type Times = number[];

class MemoryWindows {
  private readonly entries = new Map<string, Times>();

  update(key: string, now: number, windowMs: number, add: boolean, cap: number): Times {
    const kept = (this.entries.get(key) ?? []).filter((t) => t > now - windowMs);
    if (add) kept.push(now);
    if (kept.length > cap) kept.splice(0, kept.length - cap);
    if (kept.length) this.entries.set(key, kept);
    else this.entries.delete(key);
    return kept;
  }

  /** Drops keys whose newest entry left the window (called by the sweeper). */
  sweep(now: number, windowMs: number): void {
    for (const [key, times] of this.entries) if (times.at(-1)! <= now - windowMs) this.entries.delete(key);
  }
}

/** Sliding windows in Redis when it is usable, in memory otherwise. */
export class Windows {
  private readonly memory = new MemoryWindows();
  private sequence = 0;

  constructor(
    private readonly backend: Backend,
    private readonly prefix = 'throttle:window:',
  ) {}

  /** Adds an event at `now` and returns the window's times. */
  add(key: string, now: number, windowMs: number): Promise<Times> {
    return this.update(key, now, windowMs, true);
  }

  /** The window's times without adding. */
  peek(key: string, now: number, windowMs: number): Promise<Times> {
    return this.update(key, now, windowMs, false);
  }

  sweep(now: number, windowMs: number): void {
    this.memory.sweep(now, windowMs);
  }

  private async update(key: string, now: number, windowMs: number, add: boolean): Promise<Times> {
    if (this.backend.useRedis()) {
      try {
        return await this.redisUpdate(this.backend.redis!, key, now, windowMs, add);
      } catch (error) {
        this.backend.fail(error);
      }
    }
    return this.memory.update(key, now, windowMs, add, WINDOW_CAP);
  }

  private async redisUpdate(redis: Redis, key: string, now: number, windowMs: number, add: boolean) {
    const member = add ? `${now}-${++this.sequence}-${Math.random().toString(36).slice(2, 8)}` : '';
    const reply = (await redis.eval(
      SCRIPT,
      1,
      this.prefix + key,
      now,
      windowMs,
      member,
      WINDOW_CAP,
    )) as string[];
    const times: Times = [];
    for (let i = 1; i < reply.length; i += 2) times.push(Number(reply[i]));
    return times;
  }
}
