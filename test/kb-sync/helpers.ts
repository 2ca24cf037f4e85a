/** Builds a real core with the kb-sync plugin pointed at the loopback fake ElevenLabs. */
import { headerAuthPlugin } from '../../plugins/header-auth/index.ts';
import { defineKbSync, type Sleep } from '../../plugins/kb-sync/index.ts';
import type { KbSyncService } from '../../plugins/kb-sync/service.ts';
import { type ElevenLabsFake, startElevenLabsFake } from '../fakes/elevenlabs.ts';
import { postJson, type TestCore, testCore } from '../helpers/core.ts';

export { postJson };

/** The admin key every harness accepts (ADMIN_API_KEYS). */
export const ADMIN_KEY = 'kb-admin-key-for-tests';

/** A sleep that records each delay and returns at once (the schedule is checked in ms, not waited). */
export function recordingSleep(): { sleep: Sleep; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    sleep: async function recordDelay(ms, signal) {
      if (signal.aborted) throw signal.reason;
      delays.push(ms);
    },
  };
}

export interface KbHarness extends TestCore {
  fake: ElevenLabsFake;
  service: KbSyncService;
  delays: number[];
  /** POSTs JSON to /api/knowledge and returns the parsed answer. */
  add(body: Record<string, unknown>): Promise<any>;
  /** GET /api/knowledge/{id} body. */
  doc(id: string): Promise<any>;
  close(): Promise<void>;
}

export async function kbHarness(
  options: {
    kbSync?: Record<string, unknown>;
    config?: Record<string, any>;
    apiKey?: string | null;
    start?: boolean;
    fake?: ElevenLabsFake;
    sleep?: Sleep;
  } = {},
): Promise<KbHarness> {
  const fake = options.fake ?? (await startElevenLabsFake());
  const recorder = recordingSleep();
  const sleep = options.sleep ?? recorder.sleep;
  const apiKey = options.apiKey === null ? undefined : (options.apiKey ?? fake.apiKey);
  const harness = await testCore({
    plugins: [headerAuthPlugin, defineKbSync({ sleep })],
    config: {
      headerAuth: { adminKeys: [`tester:${ADMIN_KEY}`] },
      ...options.config,
      elevenlabs: {
        baseUrl: fake.url,
        ...(apiKey ? { apiKey } : {}),
        timeoutMs: 5000,
        ...options.config?.elevenlabs,
      },
      kbSync: { pollIntervalMs: 50, ...options.kbSync },
    },
  });
  if (options.start !== false) await harness.core.start();
  const service = harness.core.service<KbSyncService>('kb-sync');
  /** Requests carry the admin key unless they set their own x-api-key (or `x-api-key: ''` for none). */
  function request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (!headers.has('x-api-key')) headers.set('x-api-key', ADMIN_KEY);
    if (headers.get('x-api-key') === '') headers.delete('x-api-key');
    return harness.request(path, { ...init, headers });
  }
  return {
    ...harness,
    request,
    fake,
    service,
    delays: recorder.delays,
    async add(body) {
      const response = await request('/api/knowledge', postJson(body));
      if (response.status !== 201)
        throw new Error(`POST /api/knowledge: ${response.status} ${await response.text()}`);
      return response.json();
    },
    async doc(id) {
      return (await request(`/api/knowledge/${id}`)).json();
    },
    async close() {
      await harness.core.stop();
      if (!options.fake) await fake.close();
    },
  };
}

/** Log lines of one message. */
export function linesOf(logs: Array<Record<string, any>>, msg: string) {
  return logs.filter((line) => line.msg === msg);
}
