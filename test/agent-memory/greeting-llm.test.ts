import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { type Harness, harness, openMemoryFake } from './harness.ts';
import { transcription } from './payloads.ts';

/** A loopback OpenAI-compatible endpoint: answers /v1/chat/completions, or fails when told to. */
let server: Server;
let url: string;
let fail = false;
const seen: Array<{ auth?: string; body: any }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      seen.push({ auth: req.headers.authorization, body: JSON.parse(text) });
      if (fail || req.url !== '/v1/chat/completions') {
        res.writeHead(500).end('{"error":"boom"}');
        return;
      }
      const content = JSON.stringify({
        greeting: 'Hi Ann, good to hear from you again... did the technician fix the espresso machine?',
        summary: 'Ann, espresso machine leaking, technician booked for Friday.',
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const om = openMemoryFake();
let h: Harness;
afterEach(async () => {
  fail = false;
  om.fake.faults.clear();
  await h?.close();
});

function stored(h: Harness) {
  return h.core.db.all<{ greeting: string; summary: string }>(
    sql`SELECT greeting, summary FROM agent_memory_callers`,
  )[0];
}

describe('greeting from an OpenAI-compatible endpoint (at post-call time only)', () => {
  it('stores the greeting and summary it writes, without ellipses', async () => {
    h = await harness({
      config: { agentMemory: { greetingLlm: { url, apiKey: 'sk-test', model: 'tiny' } } },
    });
    await h.postCall(transcription({ conversationId: 'conv_llm', name: 'Ann' }));
    await h.service.settled();
    expect(stored(h)).toEqual({
      greeting: 'Hi Ann, good to hear from you again. did the technician fix the espresso machine?',
      summary: 'Ann, espresso machine leaking, technician booked for Friday.',
    });
    const request = seen.at(-1)!;
    expect(request.auth).toBe('Bearer sk-test');
    expect(request.body.model).toBe('tiny');
    expect(request.body.messages[1].content).toContain('Caller: I would like to check on my order.');
  });

  it('keeps the template when the endpoint fails, and logs it', async () => {
    fail = true;
    h = await harness({ config: { agentMemory: { greetingLlm: { url } } } });
    await h.postCall(
      transcription({ conversationId: 'conv_llm_down', name: 'Ann', title: 'Billing question' }),
    );
    await h.service.settled();
    expect(stored(h)!.greeting).toBe(
      'Welcome back, Ann! Last time we talked about billing question. How can I help you today?',
    );
    expect(h.logs.some((l) => l.level === 'warn' && l.msg.includes('greeting LLM failed'))).toBe(true);
  });

  it('asks the LLM once, for the newest call, when calls queued during an outage are delivered', async () => {
    h = await harness({
      config: {
        memory: om.memoryConfig(),
        agentMemory: { greetingLlm: { url }, delivery: { baseDelayMs: 1, maxDelayMs: 1, jitter: 0 } },
      },
    });
    om.fake.faults.always({
      kind: 'status',
      status: 503,
      match: (m, p) => m === 'POST' && p === '/memory/add',
    });
    const before = seen.length;
    for (const [id, at, said] of [
      ['conv_old', 1767225600, 'The old kettle is broken.'],
      ['conv_new', 1767312000, 'The new espresso machine leaks.'],
    ] as const) {
      const body = transcription({ conversationId: id, name: 'Ann', eventTimestamp: at, userSays: [said] });
      expect((await (await h.postCall(body)).json()).status).toBe('queued');
    }
    await h.service.settled();
    expect(seen.length).toBe(before); // at commit: the template, no LLM
    expect(stored(h)!.greeting).toContain('Welcome back, Ann!');

    om.fake.faults.clear();
    await h.service.worker.drain();
    await h.service.settled();
    const asked = seen.slice(before);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.body.messages[1].content).toContain('The new espresso machine leaks.');
    expect(stored(h)!.greeting).toBe(
      'Hi Ann, good to hear from you again. did the technician fix the espresso machine?',
    );
  });
});
