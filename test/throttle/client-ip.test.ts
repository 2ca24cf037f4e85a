/** A forged X-Forwarded-For does not dodge the per-IP limit when the peer is not a trusted proxy. */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { Elysia } from 'elysia';
import { throttlePlugin } from '../../plugins/throttle/index.ts';
import { type Embedded, embed } from '../../src/embed.ts';
import { memoryDestination } from '../../src/log.ts';

describe('throttle and the client IP', () => {
  let mounted: Embedded;
  let host: any;
  beforeAll(async () => {
    mounted = await embed([throttlePlugin], {
      config: { throttle: { rateLimit: 2 }, database: { path: ':memory:' } },
      logDestination: memoryDestination(),
    });
    host = new Elysia().use(mounted.app).post('/webhooks/x', () => 'ok');
  });
  afterAll(() => mounted.stop());

  it('ignores X-Forwarded-For from an untrusted peer', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const request = new Request('http://localhost/webhooks/x', {
        method: 'POST',
        headers: { 'x-forwarded-for': `198.51.100.${i}` },
      });
      statuses.push((await host.handle(request)).status);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });
});
