/** A real core with header-auth and routes that opt in with the macro. */
import { Type } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import { headerAuthPlugin } from '../../plugins/header-auth/index.ts';
import { type Core, createCore } from '../../src/core.ts';
import { memoryDestination } from '../../src/log.ts';
import { definePlugin } from '../../src/plugin.ts';

const routesPlugin = definePlugin({
  name: 'keyed-routes',
  configKey: 'keyedRoutes',
  envPrefix: 'KEYED_ROUTES',
  needs: ['header-auth'],
  schema: Type.Object({}),
  create(ctx) {
    const app = new Elysia({ name: 'keyed-routes' })
      .use(ctx.app('header-auth'))
      .post('/webhooks/client-data', ({ body, caller }: any) => ({ caller, body }), {
        apiKey: 'webhook',
        body: t.Object({ caller_id: t.String() }),
      } as any)
      .get('/admin/stats', ({ caller }: any) => ({ caller }), { apiKey: 'admin' } as any);
    return { app };
  },
});

export interface KeyedCore {
  core: Core;
  logs: Array<Record<string, any>>;
  call(path: string, headers?: Record<string, string>, body?: string): Promise<Response>;
}

export async function keyedCore(headerAuth: Record<string, unknown>, env: Record<string, string> = {}) {
  const destination = memoryDestination();
  const core = await createCore({
    plugins: [headerAuthPlugin, routesPlugin],
    config: { database: { path: ':memory:' }, headerAuth },
    env,
    logDestination: destination,
  });
  const call = (path: string, headers: Record<string, string> = {}, body?: string) =>
    core.handle(
      new Request(`http://localhost${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        body,
      }),
    );
  return { core, logs: destination.lines, call } satisfies KeyedCore;
}
