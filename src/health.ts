/**
 * GET /health: liveness plus each configured dependency with its status and latency.
 * 503 when a required dependency is down (003); optional ones (Redis with its memory fallback,
 * the ElevenLabs API) only make the status "degraded".
 */
import { sql } from 'drizzle-orm';
import { Elysia } from 'elysia';
import type { Redis } from 'ioredis';
import type { CoreConfig } from './config/index.ts';
import type { Db } from './db/index.ts';
import { checkElevenLabs } from './elevenlabs.ts';
import { jsonResponses } from './http/openapi.ts';
import type { Logger } from './log.ts';
import type { HealthCheck, PluginInstance } from './plugin.ts';
import { pingRedis } from './redis.ts';

interface HealthDeps {
  db: Db;
  redis: Redis | null;
  config: CoreConfig;
  instances: Map<string, PluginInstance>;
  logger: Logger;
}

const ELEVENLABS_CACHE_MS = 30_000;

function databaseCheck(db: Db): HealthCheck {
  const started = performance.now();
  try {
    db.get(sql`SELECT 1`);
    return { status: 'up', required: true, latencyMs: performance.now() - started };
  } catch (error) {
    return {
      status: 'down',
      required: true,
      latencyMs: performance.now() - started,
      detail: (error as Error).message,
    };
  }
}

function round(check: HealthCheck): HealthCheck {
  return check.latencyMs === undefined
    ? check
    : { ...check, latencyMs: Math.round(check.latencyMs * 100) / 100 };
}

export function healthRoutes(deps: HealthDeps) {
  let elevenlabsCache: { at: number; check: HealthCheck } | undefined;

  async function elevenlabsCheck(): Promise<HealthCheck> {
    const now = Date.now();
    if (elevenlabsCache && now - elevenlabsCache.at < ELEVENLABS_CACHE_MS) return elevenlabsCache.check;
    const result = await checkElevenLabs(deps.config.elevenlabs);
    const check: HealthCheck = {
      status: result.ok ? 'up' : 'down',
      required: false,
      latencyMs: result.latencyMs,
      detail: result.detail,
    };
    elevenlabsCache = { at: now, check };
    return check;
  }

  async function collect(): Promise<Record<string, HealthCheck>> {
    const checks: Record<string, HealthCheck> = { database: databaseCheck(deps.db) };
    const pending: Array<Promise<void>> = [];
    if (deps.redis) {
      pending.push(
        pingRedis(deps.redis).then((r) => {
          checks.redis = {
            status: r.ok ? 'up' : 'down',
            required: false,
            latencyMs: r.latencyMs,
            detail: r.detail,
          };
        }),
      );
    }
    if (deps.config.elevenlabs.apiKey) {
      pending.push(
        elevenlabsCheck().then((c) => {
          checks.elevenlabs = c;
        }),
      );
    }
    for (const [name, instance] of deps.instances) {
      if (!instance.health) continue;
      pending.push(
        instance.health().then(
          (found) => {
            Object.assign(checks, found);
          },
          (error) => {
            checks[name] = { status: 'down', required: true, detail: (error as Error).message };
          },
        ),
      );
    }
    await Promise.all(pending);
    return Object.fromEntries(Object.entries(checks).map(([k, v]) => [k, round(v)]));
  }

  return new Elysia({ name: 'elaoms/health' }).get(
    '/health',
    async ({ set }) => {
      const checks = await collect();
      const values = Object.values(checks);
      const failedRequired = values.some((c) => c.required && c.status === 'down');
      const degraded = values.some((c) => c.status === 'down' || c.status === 'degraded');
      if (failedRequired) {
        set.status = 503;
        deps.logger.warn({ checks }, 'health check failed');
      }
      return { status: failedRequired ? 'unhealthy' : degraded ? 'degraded' : 'healthy', checks };
    },
    {
      detail: {
        ...jsonResponses({
          200: [
            'Healthy, or degraded when an optional dependency is down',
            {
              status: 'healthy',
              checks: {
                database: { status: 'up', required: true, latencyMs: 0.2 },
                memory: { status: 'up', required: true, latencyMs: 0.3 },
              },
            },
          ],
          503: [
            'A required dependency is down',
            {
              status: 'unhealthy',
              checks: { memory: { status: 'down', required: true, detail: 'circuit open' } },
            },
          ],
        }),
        summary: 'Liveness and dependency checks',
        tags: ['service'],
      },
    },
  );
}
