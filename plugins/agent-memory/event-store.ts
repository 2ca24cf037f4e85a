/**
 * The durable event store. Every verified post-call webhook is committed here, in one synchronous
 * transaction, before it is answered; the delivery worker claims due rows with a time-limited
 * lease, so a dead worker's claims come back by themselves and two workers never deliver one row
 * at the same time.
 */
import { type SQL, sql } from 'drizzle-orm';
import { type Db, transaction } from '../../src/db/index.ts';
import {
  type EventMeta,
  type EventRow,
  type EventStatus,
  type HistoryRow,
  type NewEvent,
  queries,
} from './event-queries.ts';

export type { EventMeta, EventRow, EventStatus, HistoryRow, NewEvent } from './event-queries.ts';

/** The outcome of {@link EventStore.insert}: the row, and whether it was already there. */
export interface Inserted {
  row: EventMeta;
  duplicate: boolean;
}

/** How long an error text may be in `last_error`. */
const MAX_ERROR = 1000;

export class EventStore {
  constructor(private readonly db: Db) {}

  /** Commits the event, or returns the existing row with the same dedup key. */
  insert(event: NewEvent, nowMs: number): Inserted {
    const q = queries(this.db);
    return transaction(this.db, () => {
      const id = crypto.randomUUID();
      const inserted = q.insert.get({
        id,
        dedup_key: event.dedupKey,
        type: event.type,
        conversation_id: event.conversationId,
        user_id: event.userId,
        user_id_source: event.userIdSource,
        agent_id: event.agentId ?? null,
        event_timestamp: event.eventTimestamp ?? null,
        now: nowMs,
        first_attempt_at: event.firstAttemptAt ?? nowMs,
        status: event.status,
        facts_json: event.facts ?? null,
      }) as EventMeta | undefined;
      if (inserted) {
        q.insertPayload.run({ id, payload: event.payload });
        return { row: inserted, duplicate: false };
      }
      const existing = q.byDedupKey.get({ dedup_key: event.dedupKey }) as EventMeta;
      return { row: existing, duplicate: true };
    });
  }

  /** Whether the event is still there (erasure deletes it). */
  has(id: string): boolean {
    return this.db.all(sql`SELECT 1 FROM agent_memory_events WHERE id = ${id}`).length > 0;
  }

  /** The event's stored payload (sealed when encryption at rest is on); undefined once erased. */
  payloadOf(id: string): string | undefined {
    return queries(this.db).payloadOf.get({ id })?.payload;
  }

  get(id: string): EventRow | undefined {
    return this.db.all<EventRow>(sql`SELECT * FROM agent_memory_events WHERE id = ${id}`)[0];
  }

  /** The transcription event of a conversation (who the caller of an audio file is). */
  transcriptionOf(conversationId: string): EventRow | undefined {
    return this.db.all<EventRow>(sql`
      SELECT * FROM agent_memory_events
      WHERE conversation_id = ${conversationId} AND type = 'post_call_transcription'
      ORDER BY received_at LIMIT 1`)[0];
  }

  /** Claims one pending row (inline delivery right after the commit; the caller has the payload). */
  claimOne(id: string, owner: string, nowMs: number, leaseMs: number): EventMeta | undefined {
    return queries(this.db).claimOne.get({ id, owner, expires: nowMs + leaseMs, now: nowMs }) as
      | EventMeta
      | undefined;
  }

  /** Claims up to `limit` due rows: pending and due, or delivering with an expired lease. */
  claimDue(owner: string, nowMs: number, leaseMs: number, limit: number): EventRow[] {
    const claim = queries(this.db).claimDue;
    return transaction(
      this.db,
      () => claim.all({ owner, expires: nowMs + leaseMs, now: nowMs, limit }) as EventRow[],
    );
  }

  /**
   * Extends a claim that is still ours while its delivery runs; false when the lease was lost. A
   * delivery may outlast `leaseMs` (slow backend, many pieces): without this, the row would be
   * claimed again and stored twice at the same time.
   */
  renewLease(id: string, owner: string, nowMs: number, leaseMs: number): boolean {
    return queries(this.db).renewLease.all({ id, owner, expires: nowMs + leaseMs }).length === 1;
  }

  /** Marks a claimed row delivered; false when the lease was lost (another worker owns it now). */
  markDelivered(id: string, owner: string, memoryId: string | null, nowMs: number): boolean {
    const rows = queries(this.db).markDelivered.all({ id, owner, memory_id: memoryId, now: nowMs });
    return rows.length === 1;
  }

  /** Puts a claimed row back in the queue, due at `nextAttemptAt`. */
  markRetry(id: string, owner: string, error: string, nextAttemptAt: number): boolean {
    const rows = this.db.all<{ id: string }>(sql`
      UPDATE agent_memory_events
      SET status = 'pending', next_attempt_at = ${nextAttemptAt}, last_error = ${error.slice(0, MAX_ERROR)},
          lease_owner = NULL, lease_expires_at = NULL
      WHERE id = ${id} AND lease_owner = ${owner} AND status = 'delivering'
      RETURNING id`);
    return rows.length === 1;
  }

  /** Dead-letters a claimed row with the reason (a permanent error). */
  markDead(id: string, owner: string, error: string): boolean {
    const rows = this.db.all<{ id: string }>(sql`
      UPDATE agent_memory_events
      SET status = 'dead', last_error = ${error.slice(0, MAX_ERROR)}, lease_owner = NULL, lease_expires_at = NULL
      WHERE id = ${id} AND lease_owner = ${owner} AND status = 'delivering'
      RETURNING id`);
    return rows.length === 1;
  }

  /** Releases this owner's claims (graceful stop): they are due again at once. */
  releaseAll(owner: string, nowMs: number): number {
    return this.db.all<{ id: string }>(sql`
      UPDATE agent_memory_events
      SET status = 'pending', next_attempt_at = ${nowMs}, lease_owner = NULL, lease_expires_at = NULL
      WHERE lease_owner = ${owner} AND status = 'delivering'
      RETURNING id`).length;
  }

  /**
   * Makes rows due now again (`elaoms replay`): dead rows with `dead`, one row by id, otherwise
   * pending rows waiting for their backoff. Returns the ids requeued.
   */
  requeue(options: { dead?: boolean; id?: string }, nowMs: number): string[] {
    const statuses = options.id ? ['pending', 'dead', 'delivered'] : options.dead ? ['dead'] : ['pending'];
    const byId = options.id ? sql`AND id = ${options.id}` : sql``;
    return this.db
      .all<{ id: string }>(sql`
        UPDATE agent_memory_events
        SET status = 'pending', next_attempt_at = ${nowMs}, last_error = NULL
        WHERE status IN (${sql.join(
          statuses.map((s) => sql`${s}`),
          sql`, `,
        )}) AND type = 'post_call_transcription' ${byId}
        RETURNING id`)
      .map((r) => r.id);
  }

  /**
   * Deletes finished events (delivered, skipped, dead) received before `beforeMs` with their
   * payloads, and any payload left without its event; returns how many events.
   */
  prune(beforeMs: number): number {
    const finished = sql`status IN ('delivered', 'skipped', 'dead') AND received_at < ${beforeMs}`;
    return transaction(this.db, () => {
      this.deletePayloads(finished);
      // The inner SELECT reads only the payload table's key index, not its 23 KB rows.
      this.db.run(sql`
        DELETE FROM agent_memory_event_payloads WHERE event_id IN (
          SELECT p.event_id FROM agent_memory_event_payloads p
          WHERE NOT EXISTS (SELECT 1 FROM agent_memory_events e WHERE e.id = p.event_id))`);
      return this.db.all<{ id: string }>(sql`DELETE FROM agent_memory_events WHERE ${finished} RETURNING id`)
        .length;
    });
  }

  /** The payloads of the events `where` selects (inside the transaction that deletes them). */
  private deletePayloads(where: SQL): void {
    this.db.run(sql`
      DELETE FROM agent_memory_event_payloads
      WHERE event_id IN (SELECT id FROM agent_memory_events WHERE ${where})`);
  }

  /** Counts by status (health, metrics, tests). */
  counts(): Record<EventStatus, number> {
    const out: Record<EventStatus, number> = { pending: 0, delivering: 0, delivered: 0, dead: 0, skipped: 0 };
    const rows = this.db.all<{ status: EventStatus; n: number }>(
      sql`SELECT status, COUNT(*) AS n FROM agent_memory_events GROUP BY status`,
    );
    for (const row of rows) out[row.status] = Number(row.n);
    return out;
  }

  /** The oldest due-or-waiting pending row's receive time (queue age), or null. */
  oldestPending(): number | null {
    const row = this.db.all<{ at: number | null }>(
      sql`SELECT MIN(received_at) AS at FROM agent_memory_events WHERE status IN ('pending', 'delivering')`,
    )[0];
    return row?.at ?? null;
  }

  /** When the next pending row is due, or null (lets drain() skip ahead). */
  nextDue(): number | null {
    return queries(this.db).nextDue.get()?.at ?? null;
  }

  /**
   * Committed transcriptions of one caller and agent, newest first (summaries, greetings): their
   * facts, and the payload only where the facts were never stored (older rows).
   */
  recentTranscriptions(userId: string, agentId: string | null, limit: number): HistoryRow[] {
    const { history } = queries(this.db);
    return agentId === null
      ? history.none.all({ user_id: userId, limit })
      : history.some.all({ user_id: userId, agent_id: agentId, limit });
  }

  /** Stores the facts of an older row once they were taken from its payload. */
  saveFacts(id: string, factsJson: string): void {
    this.db.run(
      sql`UPDATE agent_memory_events SET facts_json = ${factsJson} WHERE id = ${id} AND facts_json IS NULL`,
    );
  }

  /** Conversations (distinct) committed for a caller and agent. */
  countConversations(userId: string, agentId: string | null): number {
    const { conversations } = queries(this.db);
    const row =
      agentId === null
        ? conversations.none.get({ user_id: userId })
        : conversations.some.get({ user_id: userId, agent_id: agentId });
    return Number(row?.n ?? 0);
  }

  /**
   * Right to erasure, first step: claims every event of the caller that a delivery could take
   * (pending, or claimed under an expired lease) for `owner`, so no process starts delivering one
   * while the caller is being erased. Returns how many rows other processes still hold under a live
   * lease (a delivery in flight, or the caller update after one, which the erasure must wait for);
   * `mine` (this process's owner) is left out: the worker's own `settledFor` waits for those.
   */
  holdForErasure(userId: string, owner: string, nowMs: number, leaseMs: number, mine: string): number {
    return transaction(this.db, () => {
      queries(this.db).holdForErasure.run({ user_id: userId, owner, expires: nowMs + leaseMs, now: nowMs });
      const [row] = this.db.all<{ n: number }>(sql`
        SELECT count(*) AS n FROM agent_memory_events
        WHERE user_id = ${userId} AND lease_owner NOT IN (${owner}, ${mine}) AND lease_expires_at > ${nowMs}`);
      return Number(row?.n ?? 0);
    });
  }

  /** Ends the lease a delivered row keeps while its caller update runs. */
  afterWorkDone(id: string, owner: string): void {
    queries(this.db).afterWorkDone.run({ id, owner });
  }

  /** Gives back what {@link holdForErasure} claimed when the erasure does not go ahead. */
  releaseErasure(userId: string, owner: string): void {
    this.db.run(sql`
      UPDATE agent_memory_events SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL
      WHERE user_id = ${userId} AND status = 'delivering' AND lease_owner = ${owner}`);
  }

  /** Right to erasure: every event of the caller, with the conversations they named. */
  deleteUser(userId: string): { deleted: number; conversations: string[] } {
    // Audio events carry no caller; they go with the caller's conversations.
    const theirs = sql`user_id = ${userId} OR conversation_id IN (
          SELECT conversation_id FROM agent_memory_events WHERE user_id = ${userId})`;
    return transaction(this.db, () => {
      this.deletePayloads(theirs);
      const rows = this.db.all<{ conversation_id: string; type: string }>(sql`
        DELETE FROM agent_memory_events WHERE ${theirs} RETURNING conversation_id, type`);
      return { deleted: rows.length, conversations: [...new Set(rows.map((r) => r.conversation_id))] };
    });
  }

  /** Rows for the CLI listing. */
  list(status: EventStatus | undefined, limit: number): EventRow[] {
    const where = status ? sql`WHERE status = ${status}` : sql``;
    return this.db.all<EventRow>(sql`
      SELECT * FROM agent_memory_events ${where} ORDER BY received_at DESC LIMIT ${limit}`);
  }
}
