/**
 * Deno smoke test for CI: runs the documented `deno task start` (deno.json) with WORKERS=2 and the
 * secrets in a .env file, then over real HTTP sends one signed post-call and one search-data that
 * must find it, checks /health, and stops it with SIGTERM. That covers the task's permissions (the
 * supervisor spawns workers: --allow-run) and its --env-file. The task runs in a scratch project
 * that links this checkout's code, so a developer's own .env is neither read nor touched.
 * Run with Bun: `bun scripts/deno-smoke.ts`. Exits non-zero on any failure.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sign } from '../plugins/hmac-auth/verify.ts';
import { onJsonLines } from '../test/helpers/process.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const secret = 'smoke-webhook-secret';
const toolKey = 'smoke-tool-key';
const port = 20000 + Math.floor(Math.random() * 20000);
const dir = mkdtempSync(join(tmpdir(), 'elaoms-deno-'));
copyFileSync(join(root, 'deno.json'), join(dir, 'deno.json'));
for (const name of ['package.json', 'src', 'plugins', 'drizzle', 'node_modules'])
  symlinkSync(join(root, name), join(dir, name));
writeFileSync(join(dir, '.env'), `ELEVENLABS_WEBHOOK_SECRET=${secret}\nWEBHOOK_API_KEYS=smoke:${toolKey}\n`);
const env: Record<string, string | undefined> = {
  ...process.env,
  WORKERS: '2',
  HOST: '127.0.0.1',
  PORT: String(port),
  DATABASE_PATH: join(dir, 'data', 'elaoms.db'),
  WEBHOOK_STORAGE_PATH: join(dir, 'data', 'webhooks'),
  WEBHOOK_QUARANTINE_PATH: join(dir, 'data', 'webhooks', 'quarantine'),
  LOG_LEVEL: 'info',
  NO_COLOR: '1',
};
// The secrets must come from .env alone.
delete env.ELEVENLABS_WEBHOOK_SECRET;
delete env.WEBHOOK_API_KEYS;
// Its own process group, so a failure can kill `deno task`, the supervisor and the workers at once.
const child = spawn('deno', ['task', 'start'], {
  cwd: dir,
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
  detached: true,
});
const started = new Set<number>();
onJsonLines(child, (entry) => {
  if (entry.msg === 'elaoms started') started.add(entry.pid);
  if (entry.level === 'error' || entry.level === 'fatal') console.error(JSON.stringify(entry));
});

function fail(message: string): never {
  console.error(`deno smoke: ${message}`);
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
}

const timer = setTimeout(() => fail('timed out'), 90_000);
const base = `http://127.0.0.1:${port}`;

async function waitForServer() {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${base}/`)).ok && started.size === 2) return;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null) fail(`deno task start exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  fail(`server did not answer with two workers (${started.size} started)`);
}

await waitForServer();
const body = new TextEncoder().encode(
  JSON.stringify({
    type: 'post_call_transcription',
    event_timestamp: Math.floor(Date.now() / 1000),
    data: {
      agent_id: 'agent_smoke',
      conversation_id: 'conv_smoke_1',
      transcript: [
        { role: 'agent', message: 'Hello, how can I help?' },
        { role: 'user', message: 'I would like to book a table for my anniversary dinner.' },
      ],
      analysis: { transcript_summary: 'The caller booked an anniversary dinner.' },
      conversation_initiation_client_data: { dynamic_variables: { system__caller_id: '+15550001111' } },
    },
  }),
);
const signature = await sign(secret, body, Math.floor(Date.now() / 1000));
const postCall = await fetch(`${base}/webhooks/post-call`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'elevenlabs-signature': signature },
  body,
});
if (postCall.status !== 200) fail(`post-call answered ${postCall.status}: ${await postCall.text()}`);
const search = await fetch(`${base}/webhooks/search-data`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-api-key': toolKey },
  body: JSON.stringify({ query: 'anniversary dinner', user_id: '+15550001111' }),
});
const found = await search.json();
if (search.status !== 200 || !(found.memories_found > 0))
  fail(`search-data: ${search.status} ${JSON.stringify(found)}`);
const health = await fetch(`${base}/health`);
if (health.status !== 200) fail(`/health answered ${health.status}`);
child.kill('SIGTERM');
const code = await new Promise<number | null>((r) => child.on('exit', r));
clearTimeout(timer);
if (code !== 0) fail(`exited with ${code} after SIGTERM`);
rmSync(dir, { recursive: true, force: true });
console.log(
  `deno smoke: deno task start with 2 workers and .env; post-call 200, search-data found ${found.memories_found}, /health 200, clean exit`,
);
