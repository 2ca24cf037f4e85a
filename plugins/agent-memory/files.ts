/**
 * Filing post-call payloads (FR-1.11, FR-1.14) through the storage plugin: transcription and
 * initiation-failure JSON at once, the MP3 of `post_call_audio` once its transcription is known.
 * The event store decides: audio whose transcription is already committed is saved at once. Audio
 * that really came first waits in two places until its transcription, with the id of the request
 * that carried it (FR-4.7): `agent_memory_audio` (waiting-audio.ts), durable, so a restart with a
 * memory cache cannot lose what the webhook already answered 200 for; and the cache plugin's
 * pairing helper, so an instance with its own database that shares Redis can pair it too. The
 * transcription takes it from the cache first, else from the table, and clears the other copy.
 * Nothing here ever fails the webhook: errors are logged and the event stays committed.
 */
import { Buffer } from 'node:buffer';
import type { Clock } from '../../src/clock.ts';
import type { Db } from '../../src/db/index.ts';
import type { Logger } from '../../src/log.ts';
import type { AudioPairing, CacheService } from '../cache/index.ts';
import { createAudioPairing } from '../cache/index.ts';
import type { StorageService } from '../storage/index.ts';
import type { EventStore } from './event-store.ts';
import type { Envelope, EventType, UserIdentity } from './payload.ts';
import { WaitingAudioStore } from './waiting-audio.ts';

export interface Files {
  /** Files one new event. Never throws. True when it went through storage.save (which counts the request). */
  file(
    envelope: Envelope & { type: EventType },
    input: { raw: Uint8Array; requestId?: string; quarantineId?: string | null },
    identity: UserIdentity,
  ): Promise<boolean>;
  /** Drops the quarantined copy of a body that needs no file (duplicates, unknown types). */
  dropQuarantine(id: string | null | undefined): Promise<void>;
  /** Right to erasure: the caller's files; returns how many were deleted. */
  erase(userId: string, conversationIds: string[]): Promise<number>;
}

export interface FilesDeps {
  storage: StorageService | null;
  cache: CacheService | null;
  db: Db;
  clock: Clock;
  events: EventStore;
  logger: Logger;
  /** How long audio waits for its transcription without a cache plugin (else its AUDIO_CACHE_TTL). */
  audioTtlSeconds: number;
}

function callerDir(row: { user_id: string; user_id_source: string } | undefined): string | null {
  return row && row.user_id_source !== 'conversation_id' ? row.user_id : null;
}

export function createFiles(deps: FilesDeps): Files {
  const { storage, logger } = deps;
  const waiting = new WaitingAudioStore(deps.db);
  const ttlSeconds = deps.cache?.audioTtlSeconds ?? deps.audioTtlSeconds;
  const pairing: AudioPairing | null =
    storage && deps.cache
      ? createAudioPairing(deps.cache, {
          // Sealed with storage's key when encryption at rest is on: Redis may write it to disk.
          seal: (audio) => storage.sealBytes(audio),
          unseal: (held) => storage.unsealBytes(held),
          save: async (id, audio) => {
            // The pairing puts the audio back into the cache when the save fails.
            if (!(await saveAudio(id, audio))) throw new Error('storage did not save the audio');
          },
        })
      : null;
  // The request id of audio waiting in the pairing cache, for its sidecar when another instance saves it.
  const waitingRequests = pairing ? deps.cache!.namespace('audio-request') : null;

  /** True when storage saved it; a failure was logged and counted by storage. */
  async function saveAudio(conversationId: string, audio: Uint8Array, requestId?: string): Promise<boolean> {
    const transcription = deps.events.transcriptionOf(conversationId);
    const saved = await storage!.save({
      webhookType: 'post_call_audio',
      conversationId,
      agentId: transcription?.agent_id ?? null,
      callerPhone: callerDir(transcription),
      requestId: requestId ?? (await waitingRequestId(conversationId)),
      validated: true,
      body: audio,
      ext: 'mp3',
    });
    if (!saved) {
      logger.error({ conversation_id: conversationId }, 'call audio not saved');
      return false;
    }
    logger.info(
      { conversation_id: conversationId, path: saved.path, bytes: saved.bytes },
      'call audio saved',
    );
    return true;
  }

  async function waitingRequestId(conversationId: string): Promise<string | undefined> {
    const id = await waitingRequests?.getText(conversationId).catch(() => null);
    return id || undefined;
  }

  /** Saves the audio waiting in the table for `conversationId`, if any and not expired. */
  async function saveWaiting(conversationId: string): Promise<boolean> {
    const row = waiting.take(conversationId);
    if (!row) return false;
    if (row.expires_at <= deps.clock.now()) {
      logger.warn({ conversation_id: conversationId }, 'waiting call audio expired before its transcription');
      return false;
    }
    const base64 = await storage!.unseal(row.audio);
    await saveAudio(
      conversationId,
      new Uint8Array(Buffer.from(base64, 'base64')),
      row.request_id ?? undefined,
    );
    return true;
  }

  /** A transcription was committed: files audio that waited for it, from the cache or the table. */
  async function pairTranscription(conversationId: string): Promise<void> {
    if (pairing && (await pairing.onTranscription(conversationId)) === 'saved') {
      waiting.take(conversationId); // the same audio, already saved from the cache
      return;
    }
    await saveWaiting(conversationId);
  }

  /** Saves the MP3 now when its transcription is known; otherwise it waits (table and cache). */
  async function fileAudio(envelope: Envelope, base64: string, requestId?: string) {
    const conversationId = envelope.conversationId;
    const audio = new Uint8Array(Buffer.from(base64, 'base64'));
    if (deps.events.transcriptionOf(conversationId)) {
      await saveAudio(conversationId, audio, requestId);
      return 'saved';
    }
    const now = deps.clock.now();
    waiting.put({
      conversation_id: conversationId,
      agent_id: envelope.agentId ?? null,
      request_id: requestId ?? null,
      audio: await storage!.seal(base64),
      received_at: now,
      expires_at: now + ttlSeconds * 1000,
    });
    if (pairing) {
      if (requestId) await waitingRequests!.set(conversationId, requestId, ttlSeconds);
      // 'saved': paired with a transcription another instance (own database, shared Redis) received.
      if ((await pairing.onAudio(conversationId, audio)) === 'saved') {
        waiting.take(conversationId);
        return 'saved';
      }
    }
    // The transcription may have been committed (here or by another process on this database) after
    // the check above and looked for waiting audio before it was put: take it back now.
    if (deps.events.transcriptionOf(conversationId) && (await saveWaiting(conversationId))) return 'saved';
    return 'waiting';
  }

  async function dropQuarantine(id: string | null | undefined): Promise<void> {
    if (!id || !storage) return;
    await storage.quarantine
      .drop(id)
      .catch((error) => logger.warn({ err: error }, 'quarantine copy not dropped'));
  }

  async function fileJson(envelope: Envelope, input: Parameters<Files['file']>[1], identity: UserIdentity) {
    if (!storage) return false;
    await storage.save({
      webhookType: envelope.type,
      conversationId: envelope.conversationId,
      agentId: envelope.agentId ?? null,
      callerPhone: identity.source === 'conversation_id' ? null : identity.userId,
      requestId: input.requestId,
      validated: true,
      body: input.raw,
      ext: 'json',
      quarantineId: input.quarantineId ?? undefined,
    });
    return true;
  }

  return {
    async file(envelope, input, identity) {
      let saved = false;
      try {
        if (envelope.type === 'post_call_audio') {
          await dropQuarantine(input.quarantineId);
          const audio = envelope.data.full_audio;
          if (typeof audio !== 'string' || !storage) return false;
          const outcome = await fileAudio(envelope, audio, input.requestId);
          saved = outcome === 'saved';
          logger.info({ conversation_id: envelope.conversationId, outcome }, 'call audio received');
          return saved;
        }
        saved = await fileJson(envelope, input, identity);
        if (envelope.type === 'post_call_transcription' && storage)
          await pairTranscription(envelope.conversationId);
      } catch (error) {
        logger.error({ err: error, conversation_id: envelope.conversationId }, 'post-call payload not filed');
      }
      return saved;
    },
    dropQuarantine,
    async erase(userId, conversationIds) {
      if (!storage) return 0;
      const waited = waiting.deleteFor(conversationIds);
      const byConversation = conversationIds.length
        ? await storage.deleteForConversation(conversationIds)
        : 0;
      return waited + byConversation + (await storage.deleteForUser(userId));
    },
  };
}
