/**
 * The event table's row shapes and the queries of the request path and the delivery worker,
 * prepared once per database (Drizzle's builder costs more than the query on these paths).
 * EventStore (event-store.ts) is what the rest of agent-memory uses.
 */
import { and, desc, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import { preparedQueries } from '../../src/db/index.ts';
import { eventPayloads, events } from './schema.ts';

export type EventStatus = 'pending' | 'delivering' | 'delivered' | 'dead' | 'skipped';

/** A row of `agent_memory_events` (its payload is beside it, `agent_memory_event_payloads`). */
export interface EventRow {
  id: string;
  dedup_key: string;
  type: string;
  conversation_id: string;
  user_id: string;
  user_id_source: string;
  agent_id: string | null;
  event_timestamp: number | null;
  received_at: number;
  status: EventStatus;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_error: string | null;
  memory_id: string | null;
  delivered_at: number | null;
  /** Transcriptions: name, topic and summary as JSON (see greeting.ts factsJson); null on older rows. */
  facts_json: string | null;
}

export interface NewEvent {
  dedupKey: string;
  type: string;
  conversationId: string;
  userId: string;
  userIdSource: string;
  agentId?: string;
  eventTimestamp?: number;
  payload: string;
  /** The conversation's facts (greeting.ts factsJson), for transcriptions. */
  facts?: string | null;
  /** `pending` when the memory backend must receive it, `skipped` otherwise. */
  status: 'pending' | 'skipped';
  /**
   * When the delivery worker may take it first (default: at once). The request that delivers it
   * inline sets the end of its window, so the worker does not claim it from under the request.
   */
  firstAttemptAt?: number;
}

/** A row without its facts (what the request path needs back from a write). */
export type EventMeta = Omit<EventRow, 'facts_json'>;

/** What a caller's summary needs of one delivered conversation: its facts, else its payload. */
export interface HistoryRow {
  id: string;
  conversation_id: string;
  event_timestamp: number | null;
  received_at: number;
  facts_json: string | null;
  /** Only for rows without `facts_json` (written before that column existed). */
  payload: string | null;
}

/** Every column but `facts_json`, under the column names. */
const META = {
  id: events.id,
  dedup_key: events.dedupKey,
  type: events.type,
  conversation_id: events.conversationId,
  user_id: events.userId,
  user_id_source: events.userIdSource,
  agent_id: events.agentId,
  event_timestamp: events.eventTimestamp,
  received_at: events.receivedAt,
  status: events.status,
  attempts: events.attempts,
  next_attempt_at: events.nextAttemptAt,
  lease_owner: events.leaseOwner,
  lease_expires_at: events.leaseExpiresAt,
  last_error: events.lastError,
  memory_id: events.memoryId,
  delivered_at: events.deliveredAt,
};

/** Every column, under the column names. */
const ROW = { ...META, facts_json: events.factsJson };

const p = sql.placeholder;

/**
 * Of one caller and agent (an agent id, or none), the transcriptions committed: delivered or not,
 * since the conversation happened whether or not the memory backend has it yet.
 */
function transcriptionsOf(agent: 'some' | 'none') {
  return and(
    eq(events.userId, p('user_id')),
    agent === 'some' ? eq(events.agentId, p('agent_id')) : isNull(events.agentId),
    eq(events.type, 'post_call_transcription'),
  );
}

/** The payload of the `events` row at hand (a correlated subquery). */
const payloadOfRow = sql`SELECT ${eventPayloads.payload} FROM ${eventPayloads} WHERE ${eventPayloads.eventId} = ${events.id}`;

/** The queries of the request path and the delivery worker, prepared once per database. */
export const queries = preparedQueries((db) => {
  const history = (agent: 'some' | 'none') =>
    db
      .select({
        id: events.id,
        conversation_id: events.conversationId,
        event_timestamp: events.eventTimestamp,
        received_at: events.receivedAt,
        facts_json: events.factsJson,
        payload: sql<string | null>`CASE WHEN ${events.factsJson} IS NULL THEN (${payloadOfRow}) END`,
      })
      .from(events)
      .where(transcriptionsOf(agent))
      .orderBy(
        desc(sql`COALESCE(${events.eventTimestamp} * 1000, ${events.receivedAt})`),
        desc(events.receivedAt),
      )
      .limit(p('limit'))
      .prepare();
  const conversations = (agent: 'some' | 'none') =>
    db
      .select({ n: sql<number>`COUNT(DISTINCT ${events.conversationId})` })
      .from(events)
      .where(transcriptionsOf(agent))
      .prepare();
  /** A claim: the row is this owner's for a lease, one more attempt. */
  const claim = () =>
    db.update(events).set({
      status: 'delivering',
      attempts: sql`${events.attempts} + 1`,
      leaseOwner: p('owner'),
      leaseExpiresAt: p('expires'),
    });
  /** A claimed row whose lease has run out. */
  const expired = and(eq(events.status, 'delivering'), lte(events.leaseExpiresAt, p('now')));
  /** This owner's claim on the row, still running. */
  const ours = and(
    eq(events.id, p('id')),
    eq(events.leaseOwner, p('owner')),
    eq(events.status, 'delivering'),
  );
  return {
    insert: db
      .insert(events)
      .values({
        id: p('id'),
        dedupKey: p('dedup_key'),
        type: p('type'),
        conversationId: p('conversation_id'),
        userId: p('user_id'),
        userIdSource: p('user_id_source'),
        agentId: p('agent_id'),
        eventTimestamp: p('event_timestamp'),
        receivedAt: p('now'),
        status: p('status'),
        attempts: 0,
        nextAttemptAt: p('first_attempt_at'),
        factsJson: p('facts_json'),
      })
      .onConflictDoNothing({ target: events.dedupKey })
      .returning(META)
      .prepare(),
    insertPayload: db
      .insert(eventPayloads)
      .values({ eventId: p('id'), payload: p('payload') })
      .prepare(),
    payloadOf: db
      .select({ payload: eventPayloads.payload })
      .from(eventPayloads)
      .where(eq(eventPayloads.eventId, p('id')))
      .prepare(),
    byDedupKey: db
      .select(META)
      .from(events)
      .where(eq(events.dedupKey, p('dedup_key')))
      .prepare(),
    /** Erasure: the caller's rows a delivery could take, held for the erasure (no attempt counted). */
    holdForErasure: db
      .update(events)
      .set({ status: 'delivering', leaseOwner: p('owner'), leaseExpiresAt: p('expires') })
      .where(and(eq(events.userId, p('user_id')), or(eq(events.status, 'pending'), expired)))
      .prepare(),
    claimOne: claim()
      .where(and(eq(events.id, p('id')), or(eq(events.status, 'pending'), expired)))
      .returning(META)
      .prepare(),
    claimDue: claim()
      .where(
        inArray(
          events.id,
          db
            .select({ id: events.id })
            .from(events)
            .where(or(and(eq(events.status, 'pending'), lte(events.nextAttemptAt, p('now'))), expired))
            .orderBy(events.nextAttemptAt, events.receivedAt)
            .limit(p('limit')),
        ),
      )
      .returning(ROW)
      .prepare(),
    renewLease: db
      .update(events)
      .set({ leaseExpiresAt: p('expires') })
      .where(ours)
      .returning({ id: events.id })
      .prepare(),
    markDelivered: db
      .update(events)
      .set({
        status: 'delivered',
        memoryId: p('memory_id'),
        deliveredAt: p('now'),
        lastError: null,
        // The lease stays until the caller update that follows is done (`afterWorkDone`): an
        // erasure in another process waits for it, or that update could write after the erasure.
      })
      .where(ours)
      .returning({ id: events.id })
      .prepare(),
    afterWorkDone: db
      .update(events)
      .set({ leaseOwner: null, leaseExpiresAt: null })
      .where(and(eq(events.id, p('id')), eq(events.leaseOwner, p('owner')), eq(events.status, 'delivered')))
      .prepare(),
    nextDue: db
      .select({
        at: sql<
          number | null
        >`MIN(CASE WHEN ${events.status} = 'pending' THEN ${events.nextAttemptAt} ELSE ${events.leaseExpiresAt} END)`,
      })
      .from(events)
      .where(inArray(events.status, ['pending', 'delivering']))
      .prepare(),
    history: { some: history('some'), none: history('none') },
    conversations: { some: conversations('some'), none: conversations('none') },
  };
});
