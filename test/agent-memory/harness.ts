import { afterAll, beforeAll } from 'bun:test';
/**
 * A real core with agent-memory and every plugin it needs, on a temp dir (files) and in-memory or
 * temp-file SQLite, with captured logs, an injectable clock, and a signer for post-call webhooks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentMemoryPlugin } from '../../plugins/agent-memory/index.ts';
import type { AgentMemoryService } from '../../plugins/agent-memory/service.ts';
import { cachePlugin } from '../../plugins/cache/index.ts';
import { headerAuthPlugin } from '../../plugins/header-auth/index.ts';
import { hmacAuthPlugin, sign } from '../../plugins/hmac-auth/index.ts';
import { memoryPlugin } from '../../plugins/memory/index.ts';
import { storagePlugin } from '../../plugins/storage/index.ts';
import type { Clock } from '../../src/clock.ts';
import { type Core, createCore } from '../../src/core.ts';
import { memoryDestination } from '../../src/log.ts';
import { type OpenMemoryFake, startOpenMemoryFake } from '../fakes/openmemory.ts';
import { transcription } from './payloads.ts';

export const SECRET = 'wsec_agent_memory_test_secret';
export const WEBHOOK_KEY = 'webhook-key-0123456789abcdef';
export const ADMIN_KEY = 'admin-key-0123456789abcdef';

export const neededPlugins = [hmacAuthPlugin, headerAuthPlugin, storagePlugin, cachePlugin, memoryPlugin];
export const allPlugins = [...neededPlugins, agentMemoryPlugin];

export interface Harness {
  core: Core;
  dir: string;
  logs: Array<Record<string, any>>;
  service: AgentMemoryService;
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Signs and posts a post-call body (exact bytes). */
  postCall(body: unknown, nowSec?: number): Promise<Response>;
  /** POST with the webhook key. */
  webhook(path: string, body: unknown): Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  dir?: string;
  dbPath?: string;
  clock?: Clock;
  /** Extra/overriding config sections. */
  config?: Record<string, any>;
  elevenlabsUrl?: string;
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'elaoms-agent-memory-'));
}

export function coreConfig(dir: string, options: HarnessOptions = {}): Record<string, any> {
  const extra = options.config ?? {};
  return {
    ...extra,
    log: { level: 'debug', ...extra.log },
    database: { path: options.dbPath ?? ':memory:', ...extra.database },
    elevenlabs: options.elevenlabsUrl
      ? { apiKey: 'test-xi-api-key', baseUrl: options.elevenlabsUrl, ...extra.elevenlabs }
      : { ...extra.elevenlabs },
    resilience: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 5, ...extra.resilience },
    hmacAuth: { secrets: [SECRET], ...extra.hmacAuth },
    headerAuth: {
      webhookKeys: [`elevenlabs:${WEBHOOK_KEY}`],
      adminKeys: [`ops:${ADMIN_KEY}`],
      ...extra.headerAuth,
    },
    storage: { path: join(dir, 'webhooks'), quarantinePath: join(dir, 'quarantine'), ...extra.storage },
    agentMemory: { ...extra.agentMemory, delivery: { inlineBudgetMs: 2000, ...extra.agentMemory?.delivery } },
  };
}

export async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = options.dir ?? (await tempDir());
  const destination = memoryDestination();
  const core = await createCore({
    plugins: allPlugins,
    config: coreConfig(dir, options),
    env: {},
    logDestination: destination,
    clock: options.clock,
  });
  const request = (path: string, init?: RequestInit) =>
    core.handle(new Request(`http://localhost${path}`, init));
  return {
    core,
    dir,
    logs: destination.lines,
    service: core.service<AgentMemoryService>('agent-memory'),
    request,
    async postCall(body, nowSec) {
      const raw = new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
      const t = nowSec ?? Math.floor((options.clock?.now() ?? Date.now()) / 1000);
      return request('/webhooks/post-call', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'elevenlabs-signature': await sign(SECRET, raw, t) },
        body: raw,
      });
    },
    webhook(path, body) {
      return request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': WEBHOOK_KEY },
        body: JSON.stringify(body),
      });
    },
    async close() {
      await core.stop();
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The fake OpenMemory for one test file: started before its tests, closed after them.
 * `memoryConfig()` points the memory plugin at it. Tests clear its faults in their own afterEach.
 */
export function openMemoryFake(): { readonly fake: OpenMemoryFake; memoryConfig(): Record<string, unknown> } {
  let fake: OpenMemoryFake | undefined;
  beforeAll(async () => {
    fake = await startOpenMemoryFake({ apiKey: 'om-key', queryCacheTtlMs: 0 });
  });
  afterAll(async () => {
    await fake?.close();
  });
  return {
    get fake() {
      if (!fake) throw new Error('the fake OpenMemory starts in beforeAll');
      return fake;
    },
    memoryConfig: () => ({ backend: 'openmemory', openmemory: { url: fake!.url, apiKey: 'om-key' } }),
  };
}

/**
 * Posts `count` transcriptions of one caller, each mentioning `topic` with its own number, and waits
 * until they are stored: a caller with a known number of matching memories.
 */
export async function storeCalls(
  h: Harness,
  options: { prefix: string; callerId: string; count: number; topic: string },
) {
  for (let i = 0; i < options.count; i++) {
    await h.postCall(
      transcription({
        conversationId: `${options.prefix}_${i}`,
        callerId: options.callerId,
        summary: `Call ${i}: the caller asked about the ${options.topic} number ${1000 + i}.`,
        userSays: [`Where is ${options.topic} ${1000 + i}?`],
      }),
    );
  }
  await h.service.settled();
}
