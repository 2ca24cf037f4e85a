/**
 * `bun run bench`: elaoms against a bare Elysia app answering "ok" (the ceiling), with the same
 * requests from the same load generator, on this machine, in this run. Prints a table with each
 * figure as a ratio to its ceiling and writes JSON to bench/results/. Loopback only, bounded in time.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startElevenLabsFake } from '../test/fakes/elevenlabs.ts';
import { type LoadResult, runLoad } from './load.ts';
import { type Child, startChild } from './process.ts';
import { clientDataRequest, postCallRequest, SECRET, searchRequest, TOOL_KEY } from './requests.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const MEMORY_SIZES = (process.env.BENCH_MEMORIES ?? '1000,10000,100000').split(',').map(Number);
/** Knowledge documents added in the KB sync scenario (0 skips it). */
const KB_DOCUMENTS = Number(process.env.BENCH_KB_DOCUMENTS ?? 200);
const ADMIN_KEY = 'bench-admin-key';

interface Row {
  name: string;
  result: LoadResult;
  ceiling?: LoadResult;
  rssMb?: number;
}

function elaomsEnv(extra: Record<string, string> = {}): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'elaoms-bench-'));
  return {
    DATABASE_PATH: join(dir, 'elaoms.db'),
    WEBHOOK_STORAGE_PATH: join(dir, 'webhooks'),
    WEBHOOK_QUARANTINE_PATH: join(dir, 'webhooks', 'quarantine'),
    ELEVENLABS_WEBHOOK_SECRET: SECRET,
    WEBHOOK_API_KEYS: `bench:${TOOL_KEY}`,
    ADMIN_API_KEYS: `bench:${ADMIN_KEY}`,
    LOG_LEVEL: 'info',
    ...extra,
  };
}

async function measure(
  child: Child,
  make: (i: number) => any,
  seconds = SECONDS,
): Promise<LoadResult & { rssMb: number }> {
  let peak = await child.rssMb();
  const sampler = setInterval(async () => {
    peak = Math.max(peak, await child.rssMb().catch(() => 0));
  }, 250);
  const result = await runLoad({
    url: `http://127.0.0.1:${child.port}`,
    concurrency: CONCURRENCY,
    durationMs: seconds * 1000,
    makeRequest: make,
  });
  clearInterval(sampler);
  return { ...result, rssMb: peak };
}

async function withChild<T>(script: string, env: Record<string, string>, fn: (child: Child) => Promise<T>) {
  const child = await startChild(join(here, script), env);
  try {
    return await fn(child);
  } finally {
    await child.stop();
  }
}

const run = Date.now().toString(36);
const rows: Row[] = [];
const extra: Record<string, number | Record<string, unknown>> = {};

// Ceilings: the very same requests against the bare app.
const ceilings = await withChild('bare-server.ts', {}, async (bare) => ({
  postCall: await measure(bare, (i) => postCallRequest(i, `${run}c`)),
  search: await measure(bare, searchRequest),
  clientData: await measure(bare, clientDataRequest),
}));

/**
 * Waits until the post-calls of the scenario before are delivered (the delivery queue, from
 * /metrics, holds nothing pending or delivering), then one quiet second: the next scenario on the
 * same server should not pay for the last one's background work. Bounded by 4x the scenario time.
 */
async function drained(child: Child): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < SECONDS * 4000) {
    const text = await fetch(`http://127.0.0.1:${child.port}/metrics`, {
      headers: { 'x-api-key': ADMIN_KEY },
    }).then((r) => r.text());
    const busy = [...text.matchAll(/^elaoms_agent_memory_events\{status="(pending|delivering)"\} (\d+)/gm)]
      .map((m) => Number(m[2]))
      .reduce((a, b) => a + b, 0);
    if (busy === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return (performance.now() - started) / 1000;
}

for (const [label, sync] of [
  ['post-call (default durability)', 'normal'],
  ['post-call (fsync every commit)', 'full'],
] as const) {
  await withChild('elaoms-server.ts', elaomsEnv({ DATABASE_SYNCHRONOUS: sync }), async (child) => {
    extra[`rss_at_rest_mb_${sync}`] = await child.rssAtRestMb();
    const result = await measure(child, (i) => postCallRequest(i, `${run}${sync}`));
    rows.push({ name: label, result, ceiling: ceilings.postCall, rssMb: result.rssMb });
    if (sync === 'normal') {
      extra.post_call_drain_seconds = await drained(child);
      const cd = await measure(child, clientDataRequest);
      rows.push({ name: 'client-data', result: cd, ceiling: ceilings.clientData, rssMb: cd.rssMb });
    }
  });
}

for (const size of MEMORY_SIZES) {
  await withChild('elaoms-server.ts', elaomsEnv({ BENCH_SEED_MEMORIES: String(size) }), async (child) => {
    extra[`rss_at_rest_mb_${size}_memories`] = await child.rssAtRestMb();
    const result = await measure(child, searchRequest);
    rows.push({
      name: `search-data, ${size} memories`,
      result,
      ceiling: ceilings.search,
      rssMb: result.rssMb,
    });
  });
}

/**
 * KB sync: documents added through POST /api/knowledge (admin key) and synced by kb-sync's worker to
 * the fake ElevenLabs, which answers every request after 50 ms. Documents synced per second, from
 * the first POST until all are `completed` (bounded by 4x the scenario time).
 */
async function kbSync(documents: number) {
  const fake = await startElevenLabsFake();
  fake.faults.always({ kind: 'delay', ms: 50 });
  try {
    return await withChild(
      'elaoms-server.ts',
      elaomsEnv({
        ELEVENLABS_API_KEY: fake.apiKey,
        ELEVENLABS_BASE_URL: fake.url,
        ADMIN_API_KEYS: `bench:${ADMIN_KEY}`,
      }),
      async (child) => {
        const base = `http://127.0.0.1:${child.port}`;
        const headers = { 'content-type': 'application/json', 'x-api-key': ADMIN_KEY };
        const started = performance.now();
        const added = await runLoad({
          url: base,
          concurrency: Math.min(CONCURRENCY, 20),
          durationMs: SECONDS * 4000,
          maxRequests: documents,
          makeRequest: (i) => ({
            path: '/api/knowledge',
            method: 'POST',
            headers,
            body: JSON.stringify({
              name: `bench ${run} ${i}`,
              text: `Opening hours, document ${i}. `.repeat(40),
            }),
          }),
        });
        let completed = 0;
        let failed = 0;
        while (performance.now() - started < SECONDS * 4000) {
          const list = await fetch(`${base}/api/knowledge?limit=1`, { headers }).then((r) => r.json());
          completed = list.counts?.completed ?? 0;
          failed = list.counts?.failed ?? 0;
          if (completed + failed >= documents) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const seconds = (performance.now() - started) / 1000;
        return {
          documents,
          added: added.statuses,
          completed,
          failed,
          seconds,
          docsPerSecond: completed / seconds,
        };
      },
    );
  } finally {
    await fake.close();
  }
}

if (KB_DOCUMENTS > 0) extra.kb_sync = (await kbSync(KB_DOCUMENTS)) as never;

const pct = (a: number, b?: number) => (b ? `${Math.round((a / b) * 100)}%` : '');
const table = [
  '| scenario | req/s | p50 ms | p99 ms | ceiling req/s | ratio | peak RSS MB | non-2xx |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => {
    const bad = Object.entries(r.result.statuses)
      .filter(([s]) => !s.startsWith('2'))
      .reduce((n, [, c]) => n + c, r.result.errors);
    return `| ${r.name} | ${r.result.rps.toFixed(0)} | ${r.result.p50Ms.toFixed(1)} | ${r.result.p99Ms.toFixed(1)} | ${r.ceiling?.rps.toFixed(0) ?? ''} | ${pct(r.result.rps, r.ceiling?.rps)} | ${r.rssMb ?? ''} | ${bad} |`;
  }),
].join('\n');
console.log(`\nelaoms bench: ${CONCURRENCY} in flight, ${SECONDS} s per scenario\n`);
console.log(table);
const { kb_sync: kb, post_call_drain_seconds: drainSeconds, ...rss } = extra as Record<string, any>;
if (kb) {
  console.log(
    `\nKB sync (fake ElevenLabs answering in 50 ms): ${kb.completed}/${kb.documents} documents synced in ${kb.seconds.toFixed(1)} s = ${kb.docsPerSecond.toFixed(1)} documents/s (failed ${kb.failed}, POST statuses ${JSON.stringify(kb.added)})`,
  );
}
console.log(`\nresident memory at rest: ${JSON.stringify(rss)}`);
console.log(
  `post-call deliveries drained ${Number(drainSeconds).toFixed(1)} s before client-data (incl. 1 s quiet)`,
);
mkdirSync(join(here, 'results'), { recursive: true });
const file = join(here, 'results', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  JSON.stringify({ run, concurrency: CONCURRENCY, seconds: SECONDS, ceilings, rows, extra }, null, 2),
);
console.log(`\nwrote ${file}`);
