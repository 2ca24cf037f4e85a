/**
 * agent-memory's tables: the durable event store (every verified post-call webhook, committed
 * before the answer), the per-caller summary and next greeting, and the agent profiles.
 */
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * One row per accepted post-call webhook. `dedup_key` (sha256 of type, conversation id and the raw
 * body's hash) makes a byte-identical redelivery a no-op. `status`: pending → delivering →
 * delivered | dead; `skipped` for events the memory backend never sees (audio, initiation failure).
 */
export const events = sqliteTable(
  'agent_memory_events',
  {
    id: text('id').primaryKey(),
    dedupKey: text('dedup_key').notNull().unique(),
    type: text('type').notNull(),
    conversationId: text('conversation_id').notNull(),
    userId: text('user_id').notNull(),
    userIdSource: text('user_id_source').notNull(),
    agentId: text('agent_id'),
    eventTimestamp: integer('event_timestamp'),
    receivedAt: integer('received_at').notNull(),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: integer('lease_expires_at'),
    lastError: text('last_error'),
    memoryId: text('memory_id'),
    deliveredAt: integer('delivered_at'),
    /**
     * Transcriptions: what the conversation tells about the caller (name, topic, summary) as JSON,
     * taken at insert from the payload already parsed, so summaries never re-parse old payloads.
     * NULL on rows from before this column (read from the payload then).
     */
    factsJson: text('facts_json'),
  },
  (table) => [
    index('agent_memory_events_due').on(table.status, table.nextAttemptAt),
    index('agent_memory_events_user').on(table.userId),
  ],
);

/**
 * Each event's verified raw JSON (audio events keep it without the base64 audio; sealed when
 * encryption at rest is on), beside its row rather than in it: claiming, renewing and marking an
 * event rewrote the whole row, 23 KB of overflow pages for a transcription, each time. Written in
 * the event's transaction; the event store deletes it with its event (prune, erasure) and sweeps
 * any left without one. No foreign key: a later migration that rebuilds `agent_memory_events`
 * (drizzle-kit's way to change a column) drops the old table inside a transaction, where
 * `foreign_keys = OFF` has no effect, and ON DELETE CASCADE would empty this table.
 */
export const eventPayloads = sqliteTable('agent_memory_event_payloads', {
  eventId: text('event_id').primaryKey(),
  payload: text('payload').notNull(),
});

/** The caller's summary and next greeting per agent, computed at post-call time. */
export const callers = sqliteTable(
  'agent_memory_callers',
  {
    userId: text('user_id').notNull(),
    agentId: text('agent_id').notNull(),
    name: text('name'),
    summary: text('summary').notNull(),
    greeting: text('greeting').notNull(),
    conversations: integer('conversations').notNull(),
    lastConversationId: text('last_conversation_id').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.agentId] })],
);

/** Agent profiles fetched from ElevenLabs (written in the background after post-call only). */
export const profiles = sqliteTable('agent_memory_profiles', {
  agentId: text('agent_id').primaryKey(),
  /** The extracted fields (FR-5.6) plus which overrides the agent allows, as JSON. */
  profile: text('profile').notNull(),
  fetchedAt: integer('fetched_at').notNull(),
});

/**
 * Post-call audio that came before its transcription (FR-6), until the transcription arrives or
 * `expires_at` (the audio TTL) passes: in the database so a restart does not lose it.
 */
export const waitingAudio = sqliteTable('agent_memory_audio', {
  conversationId: text('conversation_id').primaryKey(),
  agentId: text('agent_id'),
  /** The id of the request that carried the audio, for the MP3's sidecar. */
  requestId: text('request_id'),
  /** The base64 MP3 as ElevenLabs sent it, sealed with storage's key when encryption at rest is on. */
  audio: text('audio').notNull(),
  receivedAt: integer('received_at').notNull(),
  expiresAt: integer('expires_at').notNull(),
});
