/**
 * Filing post-call payloads (FR-1.11, FR-1.14) through the storage plugin: transcription and
 * initiation-failure JSON at once, the MP3 of `post_call_audio` once its transcription is known.
 * The event store decides first: audio whose transcription is already committed is saved at once,
 * so a restart that emptied a memory cache cannot strand it. Only audio that really came first
 * waits in the cache (the cache plugin's pairing helper, either order, across instances), with
 * the id of the request that carried it (FR-4.7). Nothing here ever fails the webhook: errors are
 * logged and the event stays committed.
 */
import { Buffer } from 'node:buffer';
import type { Logger } from '../../src/log.ts';
import type { AudioPairing, CacheService } from '../cache/index.ts';
import { createAudioPairing } from '../cache/index.ts';
import type { StorageService } from '../storage/index.ts';
import type { EventStore } from './event-store.ts';
import type { Envelope, EventType, UserIdentity } from './payload.ts';

export interface Files {
  /** Files one new event. Never throws. */
  file(
    envelope: Envelope & { type: EventType },
    input: { raw: Uint8Array; requestId?: string; quarantineId?: string | null },
    identity: UserIdentity,
  ): Promise<void>;
  /** Drops the quarantined copy of a body that needs no file (duplicates, unknown types). */
  dropQuarantine(id: string | null | undefined): Promise<void>;
  /** Right to erasure: the caller's files; returns how many were deleted. */
  erase(userId: string, conversationIds: string[]): Promise<number>;
}

export interface FilesDeps {
  storage: StorageService | null;
  cache: CacheService | null;
  events: EventStore;
  logger: Logger;
}

function callerDir(row: { user_id: string; user_id_source: string } | undefined): string | null {
  return row && row.user_id_source !== 'conversation_id' ? row.user_id : null;
}

export function createFiles(deps: FilesDeps): Files {
  const { storage, logger } = deps;
  const pairing: AudioPairing | null =
    storage && deps.cache
      ? createAudioPairing(deps.cache, { save: (id, audio) => saveAudio(id, audio) })
      : null;
  // The request id of audio waiting in the pairing cache, for its sidecar when it is saved later.
  const waitingRequests = pairing ? deps.cache!.namespace('audio-request') : null;

  async function saveAudio(conversationId: string, audio: Uint8Array, requestId?: string): Promise<void> {
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
    if (!saved) throw new Error('storage did not save the audio');
    logger.info(
      { conversation_id: conversationId, path: saved.path, bytes: saved.bytes },
      'call audio saved',
    );
  }

  async function waitingRequestId(conversationId: string): Promise<string | undefined> {
    const id = await waitingRequests?.getText(conversationId).catch(() => null);
    return id || undefined;
  }

  /** Saves the MP3 now when its transcription is committed; otherwise it waits in the cache. */
  async function fileAudio(conversationId: string, audio: Uint8Array, requestId?: string) {
    if (!pairing || deps.events.transcriptionOf(conversationId)) {
      await saveAudio(conversationId, audio, requestId);
      return 'saved';
    }
    if (requestId) await waitingRequests!.set(conversationId, requestId, deps.cache!.audioTtlSeconds);
    const outcome = await pairing.onAudio(conversationId, audio);
    if (outcome === 'saved' || !deps.events.transcriptionOf(conversationId)) return outcome;
    // The transcription was committed while the audio was being cached, by a process whose cache
    // is not ours (memory cache): take the audio back now instead of leaving it to expire.
    return (await pairing.onTranscription(conversationId)) === 'saved' ? 'saved' : outcome;
  }

  async function dropQuarantine(id: string | null | undefined): Promise<void> {
    if (!id || !storage) return;
    await storage.quarantine
      .drop(id)
      .catch((error) => logger.warn({ err: error }, 'quarantine copy not dropped'));
  }

  async function fileJson(envelope: Envelope, input: Parameters<Files['file']>[1], identity: UserIdentity) {
    if (!storage) return;
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
  }

  return {
    async file(envelope, input, identity) {
      try {
        if (envelope.type === 'post_call_audio') {
          await dropQuarantine(input.quarantineId);
          const audio = envelope.data.full_audio;
          if (typeof audio !== 'string' || !storage) return;
          const outcome = await fileAudio(
            envelope.conversationId,
            new Uint8Array(Buffer.from(audio, 'base64')),
            input.requestId,
          );
          logger.info({ conversation_id: envelope.conversationId, outcome }, 'call audio received');
          return;
        }
        await fileJson(envelope, input, identity);
        if (envelope.type === 'post_call_transcription' && pairing) {
          await pairing.onTranscription(envelope.conversationId);
        }
      } catch (error) {
        logger.error({ err: error, conversation_id: envelope.conversationId }, 'post-call payload not filed');
      }
    },
    dropQuarantine,
    async erase(userId, conversationIds) {
      if (!storage) return 0;
      const byConversation = conversationIds.length
        ? await storage.deleteForConversation(conversationIds)
        : 0;
      return byConversation + (await storage.deleteForUser(userId));
    },
  };
}
