/**
 * Post-call audio that came before its transcription (FR-6), kept in `agent_memory_audio` until the
 * transcription arrives or the audio TTL passes. A table, not the cache: the webhook already
 * answered 200, so the MP3 must survive a restart (a memory cache would lose it) and be found by
 * whichever process receives the transcription (all share the database). The base64 is kept as
 * ElevenLabs sent it, sealed with storage's key when encryption at rest is on.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/index.ts';

export interface WaitingAudio {
  conversation_id: string;
  agent_id: string | null;
  request_id: string | null;
  /** The base64 MP3, sealed. */
  audio: string;
  received_at: number;
  expires_at: number;
}

export class WaitingAudioStore {
  constructor(private readonly db: Db) {}

  /** Keeps the audio of `conversationId` (a later copy replaces an earlier one) and drops expired ones. */
  put(row: WaitingAudio): void {
    this.db.run(sql`DELETE FROM agent_memory_audio WHERE expires_at <= ${row.received_at}`);
    this.db.run(sql`
      INSERT INTO agent_memory_audio (conversation_id, agent_id, request_id, audio, received_at, expires_at)
      VALUES (${row.conversation_id}, ${row.agent_id}, ${row.request_id}, ${row.audio}, ${row.received_at},
        ${row.expires_at})
      ON CONFLICT(conversation_id) DO UPDATE SET agent_id = excluded.agent_id,
        request_id = excluded.request_id, audio = excluded.audio, received_at = excluded.received_at,
        expires_at = excluded.expires_at`);
  }

  /** Removes and returns the audio of `conversationId`: one process gets it, even when two race. */
  take(conversationId: string): WaitingAudio | undefined {
    return this.db.all<WaitingAudio>(sql`
      DELETE FROM agent_memory_audio WHERE conversation_id = ${conversationId} RETURNING *`)[0];
  }

  /** Right to erasure: the waiting audio of these conversations; returns how many. */
  deleteFor(conversationIds: string[]): number {
    let deleted = 0;
    for (const id of conversationIds) deleted += this.take(id) ? 1 : 0;
    return deleted;
  }
}
