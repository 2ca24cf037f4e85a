/** A real core with throttle, header-auth and a few routes; memory or the real Redis; a manual clock. */
import { Type } from '@sinclair/typebox';
import { Elysia } from 'elysia';
import { headerAuthPlugin } from '../../plugins/header-auth/index.ts';
import { throttlePlugin } from '../../plugins/throttle/index.ts';
import { manualClock } from '../../src/clock.ts';
import { type Core, createCore } from '../../src/core.ts';
import { memoryDestination } from '../../src/log.ts';
import { definePlugin } from '../../src/plugin.ts';
import { REDIS_URL, uniquePrefix } from '../helpers/redis.ts';

export const ADMIN_KEY = 'ak_throttle_test_0123456789';

const routesPlugin = definePlugin({
  name: 'throttled-routes',
  configKey: 'throttledRoutes',
  envPrefix: 'THROTTLED_ROUTES',
  needs: ['header-auth'],
  schema: Type.Object({}),
  create(ctx) {
    const app = new Elysia({ name: 'throttled-routes' })
      .use(ctx.app('header-auth'))
      .post('/webhooks/ping', () => ({ ok: true }))
      .get('/admin/stats', () => ({ ok: true }), { apiKey: 'admin' } as any)
      .get('/open', () => ({ ok: true }));
    return { app };
  },
});

export interface ThrottleCore {
  core: Core;
  logs: Array<Record<string, any>>;
  clock: ReturnType<typeof manualClock>;
  prefix: string;
  /** A request from `ip` (through the trusted-proxy header). */
  call(path: string, ip: string, headers?: Record<string, string>): Promise<Response>;
  /** Waits until the anomaly records started so far are done. */
  settled(): Promise<void>;
}

/** Polls until the shared Redis connection is ready. */
export async function redisReady(core: Core): Promise<void> {
  for (let i = 0; i < 200 && core.redis?.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 10));
  if (core.redis && core.redis.status !== 'ready') throw new Error(`redis ${core.redis.status}`);
}

export async function throttleCore(
  throttle: Record<string, unknown>,
  useRedis = false,
): Promise<ThrottleCore> {
  const destination = memoryDestination();
  const clock = manualClock();
  const prefix = uniquePrefix('throttle');
  const core = await createCore({
    plugins: [throttlePlugin, headerAuthPlugin, routesPlugin],
    config: {
      database: { path: ':memory:' },
      // In-process requests have no socket: 'unknown' is the peer, trusted so X-Forwarded-For names the client.
      server: { trustedProxies: ['unknown'] },
      redis: useRedis ? { url: REDIS_URL, keyPrefix: prefix } : {},
      headerAuth: { adminKeys: [`ops:${ADMIN_KEY}`] },
      throttle,
    },
    env: {},
    logDestination: destination,
    clock,
  });
  await core.start();
  if (useRedis) await redisReady(core);
  const call = (path: string, ip: string, headers: Record<string, string> = {}) =>
    core.handle(
      new Request(`http://localhost${path}`, {
        method: path.startsWith('/webhooks') ? 'POST' : 'GET',
        headers: { 'x-forwarded-for': ip, ...headers },
      }),
    );
  const settled = () => core.service<{ settled(): Promise<void> }>('throttle').settled();
  return { core, logs: destination.lines, clock, prefix, call, settled };
}

/** The two stores every rate-limit and anomaly test runs against. */
export const BACKENDS = [
  { name: 'memory', redis: false },
  { name: 'Redis', redis: true },
] as const;
