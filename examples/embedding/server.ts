/**
 * A host Elysia app (a small shop API with routes of its own) that mounts elaoms' agent-memory, and with it
 * the plugins it needs (hmac-auth, header-auth, storage, cache, memory), on the host's own SQLite file with
 * its own migrations tables (`shop_elaoms_<plugin>`).
 *
 *   ELEVENLABS_WEBHOOK_SECRET=wsec_... WEBHOOK_API_KEYS=elevenlabs:... bun examples/embedding/server.ts
 *   ELEVENLABS_WEBHOOK_SECRET=wsec_... WEBHOOK_API_KEYS=elevenlabs:... deno run -A examples/embedding/server.ts
 */
import { builtinPlugins, embed } from 'elaoms';
import { agentMemoryPlugin } from 'elaoms/plugins/agent-memory';
import { Elysia, t } from 'elysia';

export interface ShopOptions {
  /** elaoms config sections; merged over the defaults below. */
  config?: Record<string, unknown>;
  /** Where elaoms reads its environment variables (ELEVENLABS_WEBHOOK_SECRET…); process.env by default. */
  env?: Record<string, string | undefined>;
}

/** Builds the shop app with agent-memory mounted; the caller drives `start()`/`stop()`. */
export async function createShop(options: ShopOptions = {}) {
  const memory = await embed([agentMemoryPlugin], {
    // agent-memory's needs are taken from the built-in plugins.
    available: builtinPlugins,
    config: {
      database: { path: 'data/shop.db', migrationsTablePrefix: 'shop_elaoms' },
      storage: { path: 'data/shop-webhooks', quarantinePath: 'data/shop-quarantine' },
      ...options.config,
    },
    env: options.env ?? process.env,
  });
  const orders = [{ id: 1, item: 'tram ticket' }];
  const app = new Elysia()
    .get('/orders', () => orders, { detail: { summary: 'The shop’s own route' } })
    .get('/orders/:id', ({ params, status }) => orders.find((o) => o.id === params.id) ?? status(404), {
      params: t.Object({ id: t.Numeric() }),
    })
    .use(memory.app);
  return { app, start: memory.start, stop: memory.stop };
}

if (import.meta.main) {
  const shop = await createShop();
  // Under Bun, .listen() would fire onStart; Deno.serve and app.handle do not, so start explicitly.
  await shop.start();
  const port = Number(process.env.PORT ?? 3000);
  const deno = (globalThis as { Deno?: any }).Deno;
  const server = deno ? deno.serve({ port }, shop.app.fetch) : shop.app.listen({ port });
  console.log(`shop listening on http://localhost:${port}`);
  const shutdown = async () => {
    await (deno ? server.shutdown() : shop.app.stop());
    await shop.stop();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
