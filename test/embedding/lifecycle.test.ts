import { describe, expect, it } from 'bun:test';
import { Elysia } from 'elysia';
import { hmacAuthPlugin } from '../../plugins/hmac-auth/index.ts';
import { embed } from '../../src/index.ts';
import { memoryDestination } from '../../src/log.ts';
import { SECRET, signedPost } from './helpers.ts';

const deno = (globalThis as { Deno?: any }).Deno;

/** Serves `app` on the runtime's own server the way docs/embedding.md says; returns its URL and a stop. */
async function serveHost(
  app: Elysia<any, any, any, any, any, any, any>,
  lifecycle: { start(): Promise<void>; stop(): Promise<void> },
) {
  if (deno) {
    // Deno.serve fires no onStart/onStop: the host drives start() and stop().
    await lifecycle.start();
    const server = deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, app.fetch);
    return {
      url: `http://127.0.0.1:${server.addr.port}`,
      async stop() {
        await server.shutdown();
        await lifecycle.stop();
      },
    };
  }
  // Bun's .listen() fires onStart/onStop, which the mounted instance hooks.
  app.listen({ hostname: '127.0.0.1', port: 0 });
  return {
    url: `http://127.0.0.1:${app.server!.port}`,
    async stop() {
      await app.stop();
    },
  };
}

describe("a mounted plugin on the host runtime's own server", () => {
  it('starts and stops with the host, and serves over real HTTP', async () => {
    const logs = memoryDestination();
    const mounted = await embed([hmacAuthPlugin], {
      config: { database: { path: ':memory:' }, hmacAuth: { secrets: [SECRET] } },
      logDestination: logs,
    });
    const host = new Elysia()
      .get('/host', () => ({ host: true }))
      .use(mounted.app)
      .post('/host/hooks', ({ body }) => ({ got: (body as { type: string }).type }), {
        elevenlabsSignature: true,
      });
    const served = await serveHost(host, mounted);
    try {
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(logs.lines.map((line) => line.msg)).toContain('elaoms started');
      expect(await (await fetch(`${served.url}/host`)).json()).toEqual({ host: true });
      const signed = await fetch(await signedPost(`${served.url}/host/hooks`, { type: 'ping' }));
      expect(await signed.json()).toEqual({ got: 'ping' });
      const unsigned = await fetch(`${served.url}/host/hooks`, { method: 'POST', body: '{}' });
      expect(unsigned.status).toBe(401);
    } finally {
      await served.stop();
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(logs.lines.map((line) => line.msg)).toContain('elaoms stopped');
  });
});
