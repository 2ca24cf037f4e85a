/**
 * A script that starts the core and never stops it: it must still exit when its work is done (no
 * thread or timer of ours keeps it alive). Used by test/core/checkpointer.test.ts.
 */
import { createApp } from '../../../src/app.ts';

const core = await createApp({ argv: [] });
await core.start();
console.log('started');
