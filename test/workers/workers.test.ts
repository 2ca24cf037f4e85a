/**
 * Several workers on one host (issue 9): `src/main.ts` with WORKERS=2 as a real process. The
 * supervisor applies the migrations and starts two workers on one port (reusePort) and one SQLite
 * file. 200 signed post-calls over HTTP are each stored exactly once in the (fake) OpenMemory, both
 * workers answer requests (the access lines carry their pid), and SIGTERM stops everything cleanly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { sign } from '../../plugins/hmac-auth/verify.ts';
import { type OpenMemoryFake, startOpenMemoryFake } from '../fakes/openmemory.ts';
import { freePort } from '../helpers/process.ts';
import { waitUntil } from '../helpers/wait.ts';
import { startWorkers } from './supervisor.ts';

const SECRET = 'workers-webhook-secret';
const OM_KEY = 'workers-om-key';
const COUNT = 200;

function body(i: number): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      type: 'post_call_transcription',
      event_timestamp: Math.floor(Date.now() / 1000),
      data: {
        agent_id: 'agent_workers',
        conversation_id: `conv_workers_${i}`,
        status: 'done',
        transcript: [
          { role: 'agent', message: 'Hello, how can I help?', time_in_call_secs: 0 },
          {
            role: 'user',
            message: `Call ${i}: please check parcel ${1000 + i * 7} for me.`,
            time_in_call_secs: 3,
          },
        ],
        analysis: { transcript_summary: `Caller ${i} asked about parcel ${1000 + i * 7}.` },
        conversation_initiation_client_data: {
          dynamic_variables: { system__caller_id: `+1555${String(i % 50).padStart(7, '0')}` },
        },
      },
    }),
  );
}

describe('WORKERS=2 on one host', () => {
  let openmemory: OpenMemoryFake;
  let dir: string;
  let child: ChildProcess;
  let url: string;
  let lines: Array<Record<string, any>>;

  beforeAll(async () => {
    openmemory = await startOpenMemoryFake({ apiKey: OM_KEY, queryCacheTtlMs: 0 });
    dir = await mkdtemp(join(tmpdir(), 'elaoms-workers-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const supervisor = startWorkers(dir, port, {
      ELEVENLABS_WEBHOOK_SECRET: SECRET,
      MEMORY_BACKEND: 'openmemory',
      OPENMEMORY_URL: openmemory.url,
      OPENMEMORY_API_KEY: OM_KEY,
      AGENT_MEMORY_POLL_INTERVAL_MS: '50',
    });
    ({ child, lines } = supervisor);
    await supervisor.bothStarted();
  });

  afterAll(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await openmemory.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores 200 post-calls exactly once, serves from both workers and stops cleanly', async () => {
    const statuses: number[] = [];
    let next = 0;
    async function lane() {
      while (next < COUNT) {
        const raw = body(next++);
        const response = await fetch(`${url}/webhooks/post-call`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'elevenlabs-signature': await sign(SECRET, raw, Math.floor(Date.now() / 1000)),
          },
          body: raw as Uint8Array<ArrayBuffer>,
        });
        await response.arrayBuffer();
        statuses.push(response.status);
      }
    }
    await Promise.all(Array.from({ length: 16 }, lane));
    expect(statuses.filter((s) => s === 200).length).toBe(COUNT);

    // Every conversation delivered: its rows say so, and each piece is in the backend once.
    const db = new DatabaseSync(join(dir, 'elaoms.db'), { readOnly: true });
    const pending = () =>
      Number(
        (
          db.prepare(`SELECT COUNT(*) AS n FROM agent_memory_events WHERE status != 'delivered'`).get() as {
            n: number;
          }
        ).n,
      );
    await waitUntil(() => pending() === 0, { withinMs: 10_000, everyMs: 50 });
    const delivered = db
      .prepare(
        `SELECT COUNT(DISTINCT conversation_id) AS n FROM agent_memory_events WHERE status = 'delivered'`,
      )
      .get() as { n: number };
    const left = pending();
    db.close();
    expect(left).toBe(0);
    expect(Number(delivered.n)).toBe(COUNT);

    const keys = [...openmemory.store.memories.values()]
      .map((m) => m.metadata)
      .filter((m) => typeof m.conversation_id === 'string')
      .map((m) => `${m.conversation_id}/${m.kind}/${m.seq}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(keys.map((k) => k.split('/')[0])).size).toBe(COUNT);

    // Both workers answered post-calls (one access line per request, with the worker's pid).
    const servedBy = new Set(
      lines.filter((l) => l.msg === 'request' && l.path === '/webhooks/post-call').map((l) => l.pid),
    );
    expect(servedBy.size).toBe(2);
    expect(servedBy.has(child.pid)).toBe(false);

    // SIGTERM to the supervisor reaches both workers; each stops gracefully, and the supervisor exits 0.
    // 'close', not 'exit': the workers' last lines may still be in the pipe when the supervisor exits.
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    child.kill('SIGTERM');
    const code = await exited;
    // Deno's node:child_process reports a child that handled SIGTERM and exited 0 as code null
    // (killed by the signal); the log lines below prove the clean stop there.
    if (typeof (globalThis as any).Deno === 'undefined') expect(code).toBe(0);
    const stopped = new Set(lines.filter((l) => l.msg === 'elaoms stopped').map((l) => l.pid));
    for (const pid of servedBy) expect(stopped.has(pid)).toBe(true);
  }, 30_000);
});
