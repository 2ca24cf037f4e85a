/**
 * elaoms as the benchmark serves it: the full built-in app on loopback with the embedded backend,
 * optionally seeded with BENCH_SEED_MEMORIES memories across BENCH_SEED_CALLERS callers.
 * Prints "ready <port>" when it accepts requests.
 */

import { createEmbeddedBackend } from '../plugins/memory/embedded.ts';
import { countUncounted } from '../plugins/memory/upkeep.ts';
import { createApp } from '../src/app.ts';
import { systemClock } from '../src/clock.ts';
import { transaction } from '../src/db/index.ts';
import { logDestination } from '../src/log.ts';
import { serveCore } from '../src/server.ts';

const WORDS =
  'table booking anniversary dinner vegetarian window seat birthday parking refund invoice delivery address order pizza wine dessert allergy gluten friday saturday seven eight family party'.split(
    ' ',
  );

function seed(core: Awaited<ReturnType<typeof createApp>>, count: number, callers: number) {
  const insert = core.db.$client.prepare(
    'INSERT INTO memory_items (user_id, conversation_id, kind, seq, text, metadata_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const now = Date.now();
  transaction(core.db, () => {
    for (let i = 0; i < count; i++) {
      const text = Array.from(
        { length: 30 },
        (_, j) => WORDS[(i * 7 + j * 13 + (i % 11)) % WORDS.length],
      ).join(' ');
      insert.run(
        `+1555${String(i % callers).padStart(7, '0')}`,
        `seed_${i}`,
        'transcript',
        0,
        text,
        '{}',
        now - i * 1000,
      );
    }
  });
  // Rows inserted by hand reach the caller index when a backend is created on the database, and
  // get their term counts (the backend counts a large backlog in the background; done here first).
  const indexed = createEmbeddedBackend({ db: core.db, clock: systemClock }).close?.();
  while (countUncounted(core.db, 10_000) > 0);
  // Seeding wrote the whole table through the WAL: a search would look up every page it reads among
  // those frames. A database at rest has a short WAL, as the checkpoints keep it between writes.
  core.db.$client.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  return indexed;
}

const core = await createApp({
  env: process.env,
  argv: [],
  // Logging stays on (its cost is real) but goes to /dev/null instead of the terminal.
  logDestination: process.env.BENCH_LOG ? undefined : logDestination('/dev/null'),
});
const seedCount = Number(process.env.BENCH_SEED_MEMORIES ?? 0);
if (seedCount > 0) await seed(core, seedCount, Number(process.env.BENCH_SEED_CALLERS ?? 1000));
const served = await serveCore(core, { hostname: '127.0.0.1', port: 0 });
console.log(`ready ${served.server.port}`);
process.on('SIGTERM', () => served.shutdown().then(() => process.exit(0)));
