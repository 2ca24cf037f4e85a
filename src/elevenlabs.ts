/**
 * The official ElevenLabs SDK, configured once: base URL from config (residency regions, fakes),
 * our timeout, and its own retries off so that our retry policy counts every attempt once.
 */
import { ElevenLabsClient } from '@elevenlabs/elevenlabs-js';
import type { CoreConfig } from './config/index.ts';

export type { ElevenLabsClient };

export function createElevenLabsClient(config: CoreConfig['elevenlabs']): ElevenLabsClient | null {
  if (!config.apiKey) return null;
  return new ElevenLabsClient({
    apiKey: config.apiKey,
    baseUrl: config.baseUrl.replace(/\/+$/, ''),
    timeoutInSeconds: Math.max(1, Math.ceil(config.timeoutMs / 1000)),
    maxRetries: 0,
  });
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
