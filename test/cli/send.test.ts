import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from '../../src/app.ts';
import type { Core } from '../../src/core.ts';
import { memoryDestination } from '../../src/log.ts';
import { type Served, serveCore } from '../../src/server.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const SECRET = 'send-test-webhook-secret';
const TOOL_KEY = 'send-test-tool-key';

/** Runs the CLI as a real subprocess (async, so the server in this process keeps answering). */
function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  const runner = typeof (globalThis as any).Deno !== 'undefined' ? ['run', '-A', CLI] : [CLI];
  const child = spawn(process.execPath, [...runner, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

let dir: string;
let core: Core;
let served: Served;
let url: string;
const env = () => ({
  ELEVENLABS_WEBHOOK_SECRET: SECRET,
  WEBHOOK_API_KEYS: `elevenlabs:${TOOL_KEY}`,
  LOG_LEVEL: 'warn',
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'elaoms-send-'));
  core = await createApp({
    env: {
      ...env(),
      DATABASE_PATH: join(dir, 'elaoms.db'),
      WEBHOOK_STORAGE_PATH: join(dir, 'webhooks'),
      WEBHOOK_QUARANTINE_PATH: join(dir, 'quarantine'),
    },
    logDestination: memoryDestination(),
  });
  served = await serveCore(core, { hostname: '127.0.0.1', port: 0 });
  url = served.server.url.origin;
});

afterAll(async () => {
  await served.shutdown();
  await rm(dir, { recursive: true, force: true });
});

describe('elaoms send', () => {
  it('sends a signed post-call, then a search that finds it, then client-data', async () => {
    const post = await cli(['send', 'post-call', '--url', url], env());
    expect(post.code).toBe(0);
    expect(post.out).toContain('POST /webhooks/post-call -> 200');
    expect(post.out).toContain('"status":"received"');
    const search = await cli(['send', 'search', '--url', url], env());
    expect(search.code).toBe(0);
    expect(JSON.parse(search.out.split('\n')[1]!).memories_found).toBeGreaterThan(0);
    const clientData = await cli(['send', 'client-data', '--url', url], env());
    expect(clientData.code).toBe(0);
    expect(clientData.out).toContain('conversation_initiation_client_data');
  });

  it('re-signs a saved payload given with --file', async () => {
    const file = join(dir, 'saved.json');
    await writeFile(
      file,
      JSON.stringify({
        type: 'post_call_transcription',
        data: {
          conversation_id: 'conv_from_file',
          agent_id: 'agent_file',
          transcript: [{ role: 'user', message: 'Saved payloads can be replayed.' }],
        },
      }),
    );
    const sent = await cli(['send', 'post-call', '--url', url, '--file', file], env());
    expect(sent.code).toBe(0);
    expect(sent.out).toContain('-> 200');
  });

  it('fails with exit 1 and the status when the server refuses, and 1 without a secret to sign with', async () => {
    const wrong = await cli(['send', 'post-call', '--url', url], {
      ...env(),
      ELEVENLABS_WEBHOOK_SECRET: 'not-the-secret',
    });
    expect(wrong.code).toBe(1);
    expect(wrong.out).toContain('-> 401');
    const none = await cli(['send', 'post-call', '--url', url], { WEBHOOK_API_KEYS: `x:${TOOL_KEY}` });
    expect(none.code).toBe(1);
    expect(none.err).toContain('ELEVENLABS_WEBHOOK_SECRET is not configured');
  });
});
