import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { createApp } from '../../src/app.ts';
import type { Core } from '../../src/core.ts';
import { memoryDestination } from '../../src/log.ts';
import { serve } from '../../src/runtime.ts';
import { type Served, serveCore } from '../../src/server.ts';
import { freePort } from '../helpers/process.ts';
import { storageHarness, transcription } from '../storage/helpers.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const SECRET = 'send-test-webhook-secret';
const TOOL_KEY = 'send-test-tool-key';
const KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
const OTHER_KEY = `${'A'.repeat(43)}=`;

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

  it('decrypts a --file saved with encryption at rest (ENCRYPTION_KEY) before re-signing it', async () => {
    const storage = await storageHarness(
      { encryptionEnabled: true, encryptionKey: KEY },
      { root: join(dir, 'saved') },
    );
    const saved = await storage.service.save({
      webhookType: 'post_call_transcription',
      conversationId: 'conv_encrypted_file',
      validated: true,
      body: transcription('conv_encrypted_file', {
        agent_id: 'agent_file',
        transcript: [{ role: 'user', message: 'Encrypted payloads can be replayed too.' }],
      }),
      ext: 'json',
    });
    await storage.close();
    const onDisk = await readFile(saved!.path, 'utf8');
    expect(onDisk.startsWith('gAAAAA')).toBe(true);
    expect(onDisk).not.toContain('conv_encrypted_file');

    const sent = await cli(['send', 'post-call', '--url', url, '--file', saved!.path], {
      ...env(),
      ENCRYPTION_KEY: `${OTHER_KEY},${KEY}`,
    });
    expect(sent.err).toBe('');
    expect(sent.out).toContain('POST /webhooks/post-call -> 200');
    expect(sent.code).toBe(0);
    const db = new DatabaseSync(join(dir, 'elaoms.db'), { readOnly: true });
    const row = db
      .prepare(`SELECT COUNT(*) AS n FROM agent_memory_events WHERE conversation_id = ?`)
      .get('conv_encrypted_file') as { n: number };
    db.close();
    expect(Number(row.n)).toBe(1);

    const noKey = await cli(['send', 'post-call', '--url', url, '--file', saved!.path], env());
    expect(noKey.code).toBe(1);
    expect(noKey.err).toContain('set ENCRYPTION_KEY');
    const wrongKey = await cli(['send', 'post-call', '--url', url, '--file', saved!.path], {
      ...env(),
      ENCRYPTION_KEY: OTHER_KEY,
    });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.err).toContain('not a Fernet token these keys can decrypt');
  });

  it('without --url sends to the configured HOST and PORT (127.0.0.1 for a wildcard HOST)', async () => {
    const port = served.server.port;
    const wildcard = await cli(['send', 'post-call'], { ...env(), PORT: String(port) });
    expect(wildcard.err).toBe('');
    expect(wildcard.out).toContain('POST /webhooks/post-call -> 200');
    expect(wildcard.code).toBe(0);
    const explicit = await cli(['send', 'search'], { ...env(), HOST: '127.0.0.1', PORT: String(port) });
    expect(explicit.out).toContain('POST /webhooks/search-data -> 200');
    expect(explicit.code).toBe(0);
  });

  it('without --url follows a HOST that is not 127.0.0.1', async () => {
    // Linux routes all of 127.0.0.0/8 to the loopback interface.
    // The same core on a second address (serveCore's shutdown would stop the core itself).
    const other = serve((request) => core.handle(request), { hostname: '127.0.0.2', port: 0 });
    try {
      const sent = await cli(['send', 'post-call'], {
        ...env(),
        HOST: '127.0.0.2',
        PORT: String(other.port),
      });
      expect(sent.err).toBe('');
      expect(sent.out).toContain('POST /webhooks/post-call -> 200');
    } finally {
      await other.stop();
    }
  });

  it('names the URL it could not reach', async () => {
    const port = await freePort();
    const sent = await cli(['send', 'post-call'], { ...env(), PORT: String(port) });
    expect(sent.code).toBe(1);
    expect(sent.err).toContain(`cannot reach http://127.0.0.1:${port} (--url to send elsewhere)`);
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
