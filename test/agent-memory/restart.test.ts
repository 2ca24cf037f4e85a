/**
 * Durability across a crash: with the memory backend down, 20 post-calls are answered 200 by a real
 * server process; the process is SIGKILLed (no graceful stop, claims left behind); a new instance
 * on the same SQLite file delivers exactly the 20 once the backend is back, with no duplicates.
 * A subprocess rather than an abandoned in-process core, so nothing of the first instance (timers,
 * in-flight deliveries, open handles) can keep running or finish the job for the second.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sign } from '../../plugins/hmac-auth/index.ts';
import { manualClock } from '../../src/clock.ts';
import { type OpenMemoryFake, startOpenMemoryFake } from '../fakes/openmemory.ts';
import { coreConfig, harness, SECRET, tempDir } from './harness.ts';
import { transcription } from './payloads.ts';

const TOPICS = [
  'boiler',
  'invoice',
  'parcel',
  'password',
  'refund',
  'router',
  'window',
  'insurance',
  'visa',
  'lamp',
];

function runServer(config: Record<string, unknown>): Promise<{ child: ChildProcess; url: string }> {
  const script = fileURLToPath(new URL('./fixtures/serve.ts', import.meta.url));
  const args = 'Deno' in globalThis ? ['run', '-A', script] : [script];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ELAOMS_TEST_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (chunk) => {
      err += String(chunk);
    });
    child.stdout!.on('data', (chunk) => {
      out += String(chunk);
      const match = /LISTENING (\S+)/.exec(out);
      if (match) resolve({ child, url: match[1]! });
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${err.slice(-2000)}`)));
  });
}

describe('kill and restart with the memory backend down', () => {
  let openmemory: OpenMemoryFake;
  let dir: string;

  beforeAll(async () => {
    openmemory = await startOpenMemoryFake({ apiKey: 'om-key', queryCacheTtlMs: 0 });
    dir = await tempDir();
  });

  afterAll(async () => {
    await openmemory.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 20 post-calls 200, survives SIGKILL, then delivers exactly 20 once', async () => {
    openmemory.faults.always({ kind: 'status', status: 503 });
    const dbPath = join(dir, 'elaoms.db');
    const memory = { backend: 'openmemory', openmemory: { url: openmemory.url, apiKey: 'om-key' } };
    const config = coreConfig(dir, {
      dbPath,
      config: { memory, agentMemory: { delivery: { inlineBudgetMs: 500, baseDelayMs: 60000 } } },
    });
    const { child, url } = await runServer(config);
    try {
      for (let i = 0; i < 20; i++) {
        const callerId = `+1555000${String(i % 7).padStart(4, '0')}`;
        const topic = TOPICS[i % TOPICS.length];
        const body = transcription({
          conversationId: `conv_restart_${i}`,
          callerId,
          title: `Question ${i} about the ${topic}`,
          summary: `Call ${i}: the caller number ${i} asked about their ${topic}, case ${1000 + i * 37}.`,
          userSays: [`This is call ${i}, about my ${topic} and case ${1000 + i * 37}.`],
        });
        const raw = new TextEncoder().encode(JSON.stringify(body));
        const response = await fetch(`${url}/webhooks/post-call`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'elevenlabs-signature': await sign(SECRET, raw, Math.floor(Date.now() / 1000)),
          },
          body: raw,
        });
        expect(response.status).toBe(200);
        expect((await response.json()).status).toBe('queued');
      }
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect(openmemory.store.memories.size).toBe(0);

    openmemory.faults.clear();
    const clock = manualClock(Date.now());
    const h = await harness({ dir, dbPath, clock, config: { memory } });
    try {
      await h.core.start();
      await h.service.worker.drain({ advance: (to) => clock.set(to) });
      const counts = h.service.events.counts();
      expect(counts.delivered).toBe(20);
      expect(counts.pending + counts.delivering + counts.dead).toBe(0);

      const pieces = [...openmemory.store.memories.values()].map((m) => m.metadata ?? {});
      const conversations = new Set(
        pieces.map((m) => m.conversation_id).filter((c) => typeof c === 'string'),
      );
      expect(conversations.size).toBe(20);
      const keys = pieces
        .filter((m) => m.conversation_id)
        .map((m) => `${m.conversation_id}/${m.kind}/${m.seq}`);
      expect(new Set(keys).size).toBe(keys.length);
    } finally {
      await h.close();
    }
  });
});
