/**
 * The durable event store. Every verified post-call webhook is committed here, in one synchronous
 * transaction, before it is answered; the delivery worker claims due rows with a time-limited
 * lease, so a dead worker's claims come back by themselves and two workers never deliver one row
 * at the same time.
 */
import { sql } from 'drizzle-orm';
import { type Db, transaction } from '../../src/db/index.ts';

export type EventStatus = 'pending' | 'delivering' | 'delivered' | 'dead' | 'skipped';

/** A row of `agent_memory_events`, as the worker and the CLI see it. */
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
  payload: string;
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
}

/** A row without its payload and facts (what the request path needs back from a write). */
export type EventMeta = Omit<EventRow, 'payload' | 'facts_json'>;

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

/** Every column but `payload`: RETURNING * shipped the whole body back on every write. */
const META_COLUMNS = sql.raw(`id, dedup_key, type, conversation_id, user_id, user_id_source, agent_id,
  event_timestamp, received_at, status, attempts, next_attempt_at, lease_owner, lease_expires_at,
  last_error, memory_id, delivered_at`);

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
    return transaction(this.db, () => {
      const inserted = this.db.all<EventMeta>(sql`
        INSERT INTO agent_memory_events (id, dedup_key, type, conversation_id, user_id, user_id_source,
          agent_id, event_timestamp, received_at, status, attempts, next_attempt_at, payload, facts_json)
        VALUES (${crypto.randomUUID()}, ${event.dedupKey}, ${event.type}, ${event.conversationId},
          ${event.userId}, ${event.userIdSource}, ${event.agentId ?? null}, ${event.eventTimestamp ?? null},
          ${nowMs}, ${event.status}, 0, ${nowMs}, ${event.payload}, ${event.facts ?? null})
        ON CONFLICT(dedup_key) DO NOTHING
        RETURNING ${META_COLUMNS}`);
      if (inserted[0]) return { row: inserted[0], duplicate: false };
      const existing = this.db.all<EventMeta>(
        sql`SELECT ${META_COLUMNS} FROM agent_memory_events WHERE dedup_key = ${event.dedupKey}`,
      );
      return { row: existing[0]!, duplicate: true };
    });
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
    return this.db.all<EventMeta>(sql`
      UPDATE agent_memory_events
      SET status = 'delivering', attempts = attempts + 1, lease_owner = ${owner},
          lease_expires_at = ${nowMs + leaseMs}
      WHERE id = ${id} AND (status = 'pending' OR (status = 'delivering' AND lease_expires_at <= ${nowMs}))
      RETURNING ${META_COLUMNS}`)[0];
  }

  /** Claims up to `limit` due rows: pending and due, or delivering with an expired lease. */
  claimDue(owner: string, nowMs: number, leaseMs: number, limit: number): EventRow[] {
    return transaction(this.db, () =>
      this.db.all<EventRow>(sql`
        UPDATE agent_memory_events
        SET status = 'delivering', attempts = attempts + 1, lease_owner = ${owner},
            lease_expires_at = ${nowMs + leaseMs}
        WHERE id IN (
          SELECT id FROM agent_memory_events
          WHERE (status = 'pending' AND next_attempt_at <= ${nowMs})
             OR (status = 'delivering' AND lease_expires_at <= ${nowMs})
          ORDER BY next_attempt_at, received_at
          LIMIT ${limit})
        RETURNING *`),
    );
  }

  /**
   * Extends a claim that is still ours while its delivery runs; false when the lease was lost. A
   * delivery may outlast `leaseMs` (slow backend, many pieces): without this, the row would be
   * claimed again and stored twice at the same time.
   */
  renewLease(id: string, owner: string, nowMs: number, leaseMs: number): boolean {
    const rows = this.db.all<{ id: string }>(sql`
      UPDATE agent_memory_events SET lease_expires_at = ${nowMs + leaseMs}
      WHERE id = ${id} AND lease_owner = ${owner} AND status = 'delivering'
      RETURNING id`);
    return rows.length === 1;
  }

  /** Marks a claimed row delivered; false when the lease was lost (another worker owns it now). */
  markDelivered(id: string, owner: string, memoryId: string | null, nowMs: number): boolean {
    const rows = this.db.all<{ id: string }>(sql`
      UPDATE agent_memory_events
      SET status = 'delivered', memory_id = ${memoryId}, delivered_at = ${nowMs}, last_error = NULL,
          lease_owner = NULL, lease_expires_at = NULL
      WHERE id = ${id} AND lease_owner = ${owner} AND status = 'delivering'
      RETURNING id`);
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

  /** Deletes finished events (delivered, skipped, dead) received before `beforeMs`; returns how many. */
  prune(beforeMs: number): number {
    return this.db.all<{ id: string }>(sql`
      DELETE FROM agent_memory_events
      WHERE status IN ('delivered', 'skipped', 'dead') AND received_at < ${beforeMs}
      RETURNING id`).length;
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
    const row = this.db.all<{ at: number | null }>(sql`
      SELECT MIN(CASE WHEN status = 'pending' THEN next_attempt_at ELSE lease_expires_at END) AS at
      FROM agent_memory_events WHERE status IN ('pending', 'delivering')`)[0];
    return row?.at ?? null;
  }

  /**
   * Delivered transcriptions of one caller and agent, newest first (summaries, greetings): their
   * facts, and the payload only where the facts were never stored (older rows).
   */
  recentDelivered(userId: string, agentId: string | null, limit: number): HistoryRow[] {
    const agent = agentId === null ? sql`agent_id IS NULL` : sql`agent_id = ${agentId}`;
    return this.db.all<HistoryRow>(sql`
      SELECT id, conversation_id, event_timestamp, received_at, facts_json,
        CASE WHEN facts_json IS NULL THEN payload END AS payload
      FROM agent_memory_events
      WHERE user_id = ${userId} AND ${agent} AND type = 'post_call_transcription' AND status = 'delivered'
      ORDER BY COALESCE(event_timestamp * 1000, received_at) DESC, received_at DESC
      LIMIT ${limit}`);
  }

  /** Stores the facts of an older row once they were taken from its payload. */
  saveFacts(id: string, factsJson: string): void {
    this.db.run(
      sql`UPDATE agent_memory_events SET facts_json = ${factsJson} WHERE id = ${id} AND facts_json IS NULL`,
    );
  }

  /** Conversations (distinct) delivered for a caller and agent. */
  countDelivered(userId: string, agentId: string | null): number {
    const agent = agentId === null ? sql`agent_id IS NULL` : sql`agent_id = ${agentId}`;
    const row = this.db.all<{ n: number }>(sql`
      SELECT COUNT(DISTINCT conversation_id) AS n FROM agent_memory_events
      WHERE user_id = ${userId} AND ${agent} AND type = 'post_call_transcription' AND status = 'delivered'`)[0];
    return Number(row?.n ?? 0);
  }

  /** Right to erasure: every event of the caller, with the conversations they named. */
  deleteUser(userId: string): { deleted: number; conversations: string[] } {
    return transaction(this.db, () => {
      // Audio events carry no caller; they go with the caller's conversations.
      const rows = this.db.all<{ conversation_id: string; type: string }>(sql`
        DELETE FROM agent_memory_events
        WHERE user_id = ${userId} OR conversation_id IN (
          SELECT conversation_id FROM agent_memory_events WHERE user_id = ${userId})
        RETURNING conversation_id, type`);
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
