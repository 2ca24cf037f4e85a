/**
 * Filing post-call payloads (FR-1.11, FR-1.14) through the storage plugin: transcription and
 * initiation-failure JSON at once, the MP3 of `post_call_audio` once its transcription is known.
 * The event store decides: audio whose transcription is already committed is saved at once; audio
 * that really came first waits in `agent_memory_audio` (waiting-audio.ts) with the id of the
 * request that carried it (FR-4.7), until the transcription arrives (in any process, also after a
 * restart) or the audio TTL passes. Nothing here ever fails the webhook: errors are logged and the
 * event stays committed.
 */
import { Buffer } from 'node:buffer';
import type { Clock } from '../../src/clock.ts';
import type { Db } from '../../src/db/index.ts';
import type { Logger } from '../../src/log.ts';
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
  db: Db;
  clock: Clock;
  events: EventStore;
  logger: Logger;
  /** How long audio waits for its transcription (the cache plugin's AUDIO_CACHE_TTL). */
  audioTtlSeconds: number;
}

function callerDir(row: { user_id: string; user_id_source: string } | undefined): string | null {
  return row && row.user_id_source !== 'conversation_id' ? row.user_id : null;
}

export function createFiles(deps: FilesDeps): Files {
  const { storage, logger } = deps;
  const waiting = new WaitingAudioStore(deps.db);

  async function saveAudio(conversationId: string, audio: Uint8Array, requestId?: string): Promise<void> {
    const transcription = deps.events.transcriptionOf(conversationId);
    const saved = await storage!.save({
      webhookType: 'post_call_audio',
      conversationId,
      agentId: transcription?.agent_id ?? null,
      callerPhone: callerDir(transcription),
      requestId,
      validated: true,
      body: audio,
      ext: 'mp3',
    });
    // storage logged and counted the failure; the request still went through save (and was counted).
    if (!saved) {
      logger.error({ conversation_id: conversationId }, 'call audio not saved');
      return;
    }
    logger.info(
      { conversation_id: conversationId, path: saved.path, bytes: saved.bytes },
      'call audio saved',
    );
  }

  /** Saves the audio waiting for `conversationId`, if any and not expired. True when it was saved. */
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

  /** Saves the MP3 now when its transcription is committed; otherwise it waits in the table. */
  async function fileAudio(envelope: Envelope, base64: string, requestId?: string) {
    const conversationId = envelope.conversationId;
    if (deps.events.transcriptionOf(conversationId)) {
      await saveAudio(conversationId, new Uint8Array(Buffer.from(base64, 'base64')), requestId);
      return 'saved';
    }
    const now = deps.clock.now();
    waiting.put({
      conversation_id: conversationId,
      agent_id: envelope.agentId ?? null,
      request_id: requestId ?? null,
      audio: await storage!.seal(base64),
      received_at: now,
      expires_at: now + deps.audioTtlSeconds * 1000,
    });
    // The transcription may have been committed (here or by another process) after the check
    // above and looked for waiting audio before it was put: take it back now instead of leaving it.
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
          await saveWaiting(envelope.conversationId);
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
