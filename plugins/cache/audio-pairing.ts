/**
 * Pairing post_call_audio with its post_call_transcription (FR-6), whatever order they arrive in
 * and across instances that share Redis. Saving is the caller's `save` callback (the storage
 * plugin, wired by agent-memory), so the cache never calls another plugin.
 *
 * Protocol, with `take` atomic (GETDEL) so exactly one party gets the audio:
 * - transcription: mark `seen:<id>` (TTL), then `take('audio:<id>')` and save it if it was there;
 * - audio: if `seen:<id>` is set, save at once; otherwise cache `audio:<id>` (TTL), then look at
 *   `seen:<id>` again and, if a transcription came in between, `take` and save.
 * A failed save puts the audio back (so a retried webhook can pair it) and rethrows.
 */
import type { CacheService, CacheStore } from './types.ts';

export interface AudioPairingOptions {
  /** How long audio waits for its transcription, and a transcription for its audio (seconds). */
  ttlSeconds?: number;
  /** Writes the MP3 beside the transcription. Called at most once per pairing. */
  save(conversationId: string, audio: Uint8Array): Promise<void>;
  /** Namespace of the pairing keys in the cache (default `audio-pairing`). */
  namespace?: string;
  /** Turns the audio into what the cache holds (encryption at rest), and back. Default: as is. */
  seal?(audio: Uint8Array): Promise<Uint8Array>;
  unseal?(held: Uint8Array): Promise<Uint8Array>;
}

/** What happened to the audio: saved now, or cached until its transcription arrives. */
export type AudioOutcome = 'saved' | 'cached';

/** What a transcription found: audio that was waiting (saved now), or none yet. */
export type TranscriptionOutcome = 'saved' | 'none';

export interface AudioPairing {
  /** A post_call_audio arrived with its decoded MP3 bytes. */
  onAudio(conversationId: string, audio: Uint8Array): Promise<AudioOutcome>;
  /** A post_call_transcription arrived (and was stored). */
  onTranscription(conversationId: string): Promise<TranscriptionOutcome>;
}

/** Creates the pairing over `cache` (Redis when shared, memory otherwise). */
export function createAudioPairing(cache: CacheService, options: AudioPairingOptions): AudioPairing {
  const store: CacheStore = cache.namespace(options.namespace ?? 'audio-pairing');
  const ttl = options.ttlSeconds ?? cache.audioTtlSeconds;
  if (!Number.isInteger(ttl) || ttl < 1) throw new Error(`audio pairing ttlSeconds must be ≥ 1, got ${ttl}`);

  const seal = options.seal ?? (async (audio: Uint8Array) => audio);
  const unseal = options.unseal ?? (async (held: Uint8Array) => held);
  const hold = async (conversationId: string, audio: Uint8Array) =>
    store.set(`audio:${conversationId}`, await seal(audio), ttl);
  const takeHeld = async (conversationId: string) => {
    const held = await store.take(`audio:${conversationId}`);
    if (!held) return null;
    try {
      return await unseal(held);
    } catch (error) {
      // Not ours to open (another instance's key): back into the cache for one that can.
      await store.set(`audio:${conversationId}`, held, ttl);
      throw error;
    }
  };

  async function saveOrRestore(conversationId: string, audio: Uint8Array): Promise<void> {
    try {
      await options.save(conversationId, audio);
    } catch (error) {
      await hold(conversationId, audio);
      throw error;
    }
  }

  return {
    async onAudio(conversationId, audio) {
      if ((await store.getText(`seen:${conversationId}`)) !== null) {
        await saveOrRestore(conversationId, audio);
        return 'saved';
      }
      await hold(conversationId, audio);
      if ((await store.getText(`seen:${conversationId}`)) === null) return 'cached';
      const taken = await takeHeld(conversationId);
      if (!taken) return 'saved'; // the transcription's instance took it and saves it
      await saveOrRestore(conversationId, taken);
      return 'saved';
    },
    async onTranscription(conversationId) {
      await store.set(`seen:${conversationId}`, '1', ttl);
      const audio = await takeHeld(conversationId);
      if (!audio) return 'none';
      await saveOrRestore(conversationId, audio);
      return 'saved';
    },
  };
}
