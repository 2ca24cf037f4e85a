/**
 * What a host does: start the core, stop it, and exit at once. Used by test/core/stop-logs.test.ts;
 * DATABASE_PATH and WEBHOOK_STORAGE_PATH come from the environment.
 */
import { createApp } from '../../../src/app.ts';

const core = await createApp({ argv: [] });
await core.start();
await core.stop();
process.exit(0);
