/**
 * Deno smoke test for CI: boots src/main.ts under Deno (Deno.serve), then over real HTTP sends one
 * signed post-call and one search-data that must find it, checks /health, and stops it with SIGTERM.
 * Run with Bun: `bun scripts/deno-smoke.ts`. Exits non-zero on any failure.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from '../plugins/hmac-auth/verify.ts';

const secret = 'smoke-webhook-secret';
const toolKey = 'smoke-tool-key';
const port = 20000 + Math.floor(Math.random() * 20000);
const dir = mkdtempSync(join(tmpdir(), 'elaoms-deno-'));
const child = spawn('deno', ['run', '-A', 'src/main.ts'], {
  env: {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_PATH: join(dir, 'elaoms.db'),
    WEBHOOK_STORAGE_PATH: join(dir, 'webhooks'),
    WEBHOOK_QUARANTINE_PATH: join(dir, 'webhooks', 'quarantine'),
    ELEVENLABS_WEBHOOK_SECRET: secret,
    WEBHOOK_API_KEYS: `smoke:${toolKey}`,
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});

function fail(message: string): never {
  console.error(`deno smoke: ${message}`);
  child.kill('SIGKILL');
  process.exit(1);
}

const timer = setTimeout(() => fail('timed out'), 90_000);
const base = `http://127.0.0.1:${port}`;

async function waitForServer() {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${base}/`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  fail('server did not answer');
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
console.log(`deno smoke: post-call 200, search-data found ${found.memories_found}, /health 200, clean exit`);
