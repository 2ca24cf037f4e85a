/**
 * Small plugin definitions that exercise the core's contract (routes that are slow, throw, log,
 * or report a dependency down). They are real plugins going through the real core.
 */
import { Type } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import { definePlugin, type HealthCheck } from '../../src/plugin.ts';

export function probePlugin(state: { health?: HealthCheck; gate?: Promise<void>; stopped?: boolean } = {}) {
  return definePlugin({
    name: 'probe',
    configKey: 'probe',
    envPrefix: 'PROBE',
    schema: Type.Object({}),
    create(ctx) {
      const app = new Elysia({ name: 'probe' })
        .get('/probe/log', () => {
          ctx.logger.info({ step: 'inside' }, 'handler ran');
          return { ok: true };
        })
        .get('/probe/slow', async () => {
          await state.gate;
          return { done: true };
        })
        .get('/probe/boom', () => {
          throw new Error('secret stack detail');
        })
        .post('/probe/echo', ({ body }) => body, { body: t.Object({ name: t.String(), age: t.Integer() }) });
      return {
        app,
        health: async () => ({ probe: state.health ?? { status: 'up', required: true } }),
        stop() {
          state.stopped = true;
        },
      };
    },
  });
}
