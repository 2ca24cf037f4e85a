import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { type Harness, harness } from './harness.ts';
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

let h: Harness;
afterEach(async () => {
  fail = false;
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
});
