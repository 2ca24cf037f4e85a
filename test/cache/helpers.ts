/** A core with only the cache plugin, its service, and a few byte helpers for the cache tests. */
import { type CacheRuntime, cachePlugin } from '../../plugins/cache/index.ts';
import { type TestCore, testCore } from '../helpers/core.ts';

export interface CacheCore extends TestCore {
  cache: CacheRuntime;
}

/** A real core with the cache plugin; `redis` sets redis.url and redis.keyPrefix. */
export async function cacheCore(
  options: { cache?: Record<string, unknown>; redis?: { url: string; keyPrefix?: string } } = {},
): Promise<CacheCore> {
  const built = await testCore({
    plugins: [cachePlugin],
    config: { cache: options.cache ?? {}, ...(options.redis ? { redis: options.redis } : {}) },
  });
  return { ...built, cache: built.core.service<CacheRuntime>('cache') };
}

/** `n` bytes of a repeating pattern. */
export function bytes(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** Byte equality with a plain loop (expect's deep equal is slow on megabytes under Deno). */
export function sameBytes(a: Uint8Array | null | undefined, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Log lines whose message is `msg`. */
export function linesWith(logs: Array<Record<string, any>>, msg: string) {
  return logs.filter((line) => line.msg === msg);
}
