import { describe, expect, it } from 'bun:test';
import { serveCore } from '../../src/server.ts';
import { testCore } from '../helpers/core.ts';
import { probePlugin } from '../helpers/plugins.ts';

describe('graceful shutdown', () => {
  it('finishes an in-flight request, stops background work and refuses new connections', async () => {
    let open!: () => void;
    const state: { gate: Promise<void>; stopped?: boolean } = { gate: new Promise<void>((r) => (open = r)) };
    const { core } = await testCore({ plugins: [probePlugin(state)] });
    const served = await serveCore(core, { hostname: '127.0.0.1', port: 0 });
    const url = served.server.url;
    const inflight = fetch(new URL('/probe/slow', url));
    await new Promise((r) => setTimeout(r, 50));
    const shutdown = served.shutdown();
    await new Promise((r) => setTimeout(r, 50));
    open();
    const response = await inflight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    await shutdown;
    expect(state.stopped).toBe(true);
    await expect(fetch(new URL('/', url))).rejects.toThrow();
  });
});
