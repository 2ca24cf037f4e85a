/** header-auth mounted alone in a plain Elysia host that has its own routes. */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { Elysia } from 'elysia';
import { headerAuthPlugin } from '../../plugins/header-auth/index.ts';
import { type Embedded, embed } from '../../src/embed.ts';
import { memoryDestination } from '../../src/log.ts';

describe('header-auth in a host app', () => {
  let mounted: Embedded;
  let host: any;
  beforeAll(async () => {
    mounted = await embed([headerAuthPlugin], {
      config: {
        headerAuth: { adminKeys: ['ops:host_admin_key_0123456789'] },
        database: { path: ':memory:' },
      },
      logDestination: memoryDestination(),
    });
    host = new Elysia()
      .get('/', () => 'host home')
      .use(mounted.app)
      .get('/host/admin', ({ caller }: any) => ({ hello: caller.name }), { apiKey: 'admin' } as any);
  });
  afterAll(() => mounted.stop());

  it('keeps the host route open and guards the one that opts in', async () => {
    expect(await (await host.handle(new Request('http://localhost/'))).text()).toBe('host home');
    const denied = await host.handle(new Request('http://localhost/host/admin'));
    expect(denied.status).toBe(401);
    const ok = await host.handle(
      new Request('http://localhost/host/admin', {
        headers: { authorization: 'Bearer host_admin_key_0123456789' },
      }),
    );
    expect(await ok.json()).toEqual({ hello: 'ops' });
  });
});
