/** Process entry: `bun run start` (or `deno task start`). */
import { createApp } from './app.ts';
import { ConfigError } from './config/index.ts';
import { onShutdownSignal } from './runtime.ts';
import { banner, serveCore } from './server.ts';

async function main() {
  let core: Awaited<ReturnType<typeof createApp>>;
  try {
    core = await createApp({ argv: process.argv.slice(2) });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const served = await serveCore(core);
  console.log(banner(core, served.server.url));
  onShutdownSignal((signal) => {
    core.logger.info({ signal }, 'shutting down');
    served.shutdown().then(
      () => process.exit(0),
      (error) => {
        core.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}

await main();
