/**
 * The official ElevenLabs SDK, configured once: base URL from config (residency regions, fakes),
 * our timeout, and its own retries off so that our retry policy counts every attempt once.
 * The SDK is about 65–90 MB of resident memory and ~1 s of start-up once imported, so nothing
 * imports it statically: without ELEVENLABS_API_KEY it is never loaded. With a key, the core
 * preloads it while it starts (`preloadElevenLabsSdk`), so the first call start after boot does
 * not wait a second for the import (client-data has a deadline); otherwise it loads at first use.
 */
import type { ElevenLabsClient } from '@elevenlabs/elevenlabs-js';
import type { CoreConfig } from './config/index.ts';

export type { ElevenLabsClient };

type Load = () => Promise<ElevenLabsClient>;
type Sdk = typeof import('@elevenlabs/elevenlabs-js');

let sdkLoading: Promise<Sdk> | undefined;

/** The SDK module, imported once per process (a failed import is tried again at the next call). */
function importSdk(): Promise<Sdk> {
  sdkLoading ??= import('@elevenlabs/elevenlabs-js').catch((error: unknown) => {
    sdkLoading = undefined;
    throw error;
  });
  return sdkLoading;
}

/** Imports the SDK now; the core awaits it at start when an API key is configured. */
export async function preloadElevenLabsSdk(): Promise<void> {
  await importSdk();
}

/**
 * Stands in for the client: property reads record a path (`conversationalAi.agents.get`), and a
 * call imports the SDK (once), builds the client (once) and calls the real method with the same
 * `this`. Every SDK method we call returns a promise, so callers see the same results and errors.
 */
function lazyMember(load: Load, path: readonly string[]): unknown {
  const callable = function lazyElevenLabsMethod() {};
  return new Proxy(callable, {
    get(_target, key) {
      // Not a thenable (so `await client` stays the proxy) and no symbol protocols.
      if (typeof key === 'symbol' || key === 'then') return undefined;
      return lazyMember(load, [...path, key]);
    },
    apply(_target, _this, args: unknown[]) {
      return load().then(function callSdk(client) {
        let owner: Record<string, unknown> = client as unknown as Record<string, unknown>;
        for (const key of path.slice(0, -1)) owner = owner[key] as Record<string, unknown>;
        const method = owner[path[path.length - 1] as string] as (...a: unknown[]) => unknown;
        return method.apply(owner, args);
      });
    },
  });
}

/** The SDK client for our config, or null without an API key. The SDK loads at the first call. */
export function createElevenLabsClient(config: CoreConfig['elevenlabs']): ElevenLabsClient | null {
  if (!config.apiKey) return null;
  const options = {
    apiKey: config.apiKey,
    baseUrl: config.baseUrl.replace(/\/+$/, ''),
    timeoutInSeconds: Math.max(1, Math.ceil(config.timeoutMs / 1000)),
    maxRetries: 0,
  };
  let client: ElevenLabsClient | undefined;
  const load: Load = async () => {
    client ??= new (await importSdk()).ElevenLabsClient(options);
    return client;
  };
  return lazyMember(load, []) as ElevenLabsClient;
}

/** A cheap authenticated call for /health: GET /v1/user. */
export async function checkElevenLabs(
  config: CoreConfig['elevenlabs'],
  fetchImpl: typeof fetch = fetch,
): Promise<{ ok: boolean; latencyMs: number; detail?: string }> {
  const started = performance.now();
  try {
    const response = await fetchImpl(`${config.baseUrl.replace(/\/+$/, '')}/v1/user`, {
      headers: { 'xi-api-key': config.apiKey ?? '' },
      signal: AbortSignal.timeout(Math.min(config.timeoutMs, 5000)),
    });
    await response.body?.cancel();
    const ok = response.ok;
    return { ok, latencyMs: performance.now() - started, detail: ok ? undefined : `HTTP ${response.status}` };
  } catch (error) {
    return { ok: false, latencyMs: performance.now() - started, detail: (error as Error).message };
  }
}
