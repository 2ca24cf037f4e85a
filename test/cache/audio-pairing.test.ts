import { afterEach, describe, expect, it } from 'bun:test';
import { Value } from '@sinclair/typebox/value';
import {
  type AudioPairing,
  CacheConfig,
  type CacheService,
  createAudioPairing,
  createCacheService,
} from '../../plugins/cache/index.ts';
import { manualClock } from '../../src/clock.ts';
import { createLogger, memoryDestination } from '../../src/log.ts';
import { REDIS_URL, redisAvailable, uniquePrefix } from '../helpers/redis.ts';
import { bytes, type CacheCore, cacheCore, sameBytes } from './helpers.ts';

interface Saved {
  id: string;
  audio: Uint8Array;
  by: string;
}

const cores: CacheCore[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) {
    const redis = c.core.redis;
    if (redis?.status === 'ready') {
      const keys = await redis.keys('*');
      const prefix = c.core.config.redis.keyPrefix;
      if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
    }
    await c.core.stop();
  }
});

/** A pairing whose save callback records calls into `saved`, tagged with `by`. */
function pairing(cache: CacheService, saved: Saved[], by: string, ttlSeconds?: number): AudioPairing {
  return createAudioPairing(cache, {
    ttlSeconds,
    async save(id, audio) {
      saved.push({ id, audio, by });
    },
  });
}

/** Two pairings: two instances sharing one Redis, or one memory instance twice. */
type Setup = () => Promise<{ a: CacheService; b: CacheService }>;

function orderTests(label: string, setup: Setup) {
  describe(label, () => {
    it('audio first: cached, then saved once when its transcription arrives', async () => {
      const { a, b } = await setup();
      const saved: Saved[] = [];
      const mp3 = bytes(2_000_000);
      expect(await pairing(a, saved, 'a').onAudio('conv-1', mp3)).toBe('cached');
      expect(saved.length).toBe(0);
      expect(await pairing(b, saved, 'b').onTranscription('conv-1')).toBe('saved');
      expect(saved.map((s) => [s.id, s.by])).toEqual([['conv-1', 'b']]);
      expect(sameBytes(saved[0]!.audio, mp3)).toBe(true);
      expect(await pairing(a, saved, 'a').onTranscription('conv-1')).toBe('none');
      expect(saved.length).toBe(1);
    });

    it('transcription first: the audio is saved at once and not cached', async () => {
      const { a, b } = await setup();
      const saved: Saved[] = [];
      expect(await pairing(a, saved, 'a').onTranscription('conv-2')).toBe('none');
      expect(await pairing(b, saved, 'b').onAudio('conv-2', bytes(1000))).toBe('saved');
      expect(saved.map((s) => [s.id, s.by])).toEqual([['conv-2', 'b']]);
      expect(await a.namespace('audio-pairing').get('audio:conv-2')).toBeNull();
    });

    it('racing audio and transcription on the two sides save each conversation exactly once', async () => {
      const { a, b } = await setup();
      const saved: Saved[] = [];
      const pa = pairing(a, saved, 'a');
      const pb = pairing(b, saved, 'b');
      const ids = Array.from({ length: 40 }, (_, i) => `race-${i}`);
      await Promise.all(
        ids.flatMap((id, i) =>
          i % 2 === 0
            ? [pa.onAudio(id, bytes(64, i)), pb.onTranscription(id)]
            : [pb.onTranscription(id), pa.onAudio(id, bytes(64, i))],
        ),
      );
      expect(saved.map((s) => s.id).sort()).toEqual([...ids].sort());
      for (const s of saved) expect(sameBytes(s.audio, bytes(64, Number(s.id.slice(5))))).toBe(true);
    });

    it('audio it cannot unseal goes back to the cache for an instance that can', async () => {
      const { a, b } = await setup();
      const saved: Saved[] = [];
      const sealer = createAudioPairing(a, {
        seal: async (audio) => new Uint8Array([...audio].map((x) => x ^ 1)),
        unseal: async (held) => new Uint8Array([...held].map((x) => x ^ 1)),
        async save(id, audio) {
          saved.push({ id, audio, by: 'a' });
        },
      });
      const wrongKey = createAudioPairing(b, {
        unseal: async () => {
          throw new Error('wrong key');
        },
        async save(id, audio) {
          saved.push({ id, audio, by: 'b' });
        },
      });
      await sealer.onAudio('conv-key', bytes(300));
      await expect(wrongKey.onTranscription('conv-key')).rejects.toThrow('wrong key');
      expect(await sealer.onTranscription('conv-key')).toBe('saved');
      expect(saved.map((s) => s.by)).toEqual(['a']);
      expect(sameBytes(saved[0]!.audio, bytes(300))).toBe(true);
    });

    it('a failed save puts the audio back, so a retried transcription saves it', async () => {
      const { a, b } = await setup();
      const saved: Saved[] = [];
      let fail = true;
      const flaky = createAudioPairing(b, {
        async save(id, audio) {
          if (fail) throw new Error('disk full');
          saved.push({ id, audio, by: 'b' });
        },
      });
      await pairing(a, saved, 'a').onAudio('conv-3', bytes(500));
      await expect(flaky.onTranscription('conv-3')).rejects.toThrow('disk full');
      fail = false;
      expect(await flaky.onTranscription('conv-3')).toBe('saved');
      expect(saved.length).toBe(1);
      expect(sameBytes(saved[0]!.audio, bytes(500))).toBe(true);
    });
  });
}

orderTests('audio pairing in memory', async () => {
  const { cache } = cores[cores.push(await cacheCore()) - 1]!;
  return { a: cache, b: cache };
});

describe.skipIf(!redisAvailable)('audio pairing on the real Redis (needs Redis)', () => {
  orderTests('one instance', async () => {
    const c = await cacheCore({ redis: { url: REDIS_URL, keyPrefix: uniquePrefix('pair-one') } });
    cores.push(c);
    await c.core.start();
    return { a: c.cache, b: c.cache };
  });

  orderTests('two instances sharing Redis', async () => {
    const keyPrefix = uniquePrefix('pair-two');
    const a = await cacheCore({ redis: { url: REDIS_URL, keyPrefix } });
    const b = await cacheCore({ redis: { url: REDIS_URL, keyPrefix } });
    cores.push(a, b);
    await a.core.start();
    await b.core.start();
    expect(a.cache.store().kind).toBe('redis');
    return { a: a.cache, b: b.cache };
  });

  it('caches the audio in Redis with AUDIO_CACHE_TTL', async () => {
    const keyPrefix = uniquePrefix('pair-ttl');
    const c = await cacheCore({ cache: { audioTtlSeconds: 90 }, redis: { url: REDIS_URL, keyPrefix } });
    cores.push(c);
    await c.core.start();
    await pairing(c.cache, [], 'a').onAudio('conv-ttl', bytes(10));
    const ttl = await c.core.redis!.ttl('cache:audio-pairing:audio:conv-ttl');
    expect(ttl).toBeGreaterThan(80);
    expect(ttl).toBeLessThanOrEqual(90);
    await c.core.redis!.del('cache:audio-pairing:audio:conv-ttl');
  });
});

describe('audio pairing expiry', () => {
  it('drops audio whose transcription does not come within AUDIO_CACHE_TTL', async () => {
    const clock = manualClock();
    const cache = createCacheService({
      config: { ...(Value.Default(CacheConfig, {}) as CacheConfig), audioTtlSeconds: 60 },
      redis: null,
      clock,
      logger: createLogger({ destination: memoryDestination() }),
    });
    const saved: Saved[] = [];
    const p = pairing(cache, saved, 'a');
    expect(await p.onAudio('late', bytes(100))).toBe('cached');
    clock.advance(60_000);
    expect(cache.sweep()).toBe(1);
    expect(await p.onTranscription('late')).toBe('none');
    expect(saved.length).toBe(0);
    expect(cache.stats().expirations).toBe(1);
  });

  it('refuses a TTL below one second', () => {
    const cache = createCacheService({
      config: Value.Default(CacheConfig, {}) as CacheConfig,
      redis: null,
      clock: manualClock(),
      logger: createLogger({ destination: memoryDestination() }),
    });
    expect(() => createAudioPairing(cache, { ttlSeconds: 0, save: async () => {} })).toThrow('ttlSeconds');
  });
});
