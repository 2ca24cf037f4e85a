/**
 * The caller's summary and next greeting, per (caller, agent), written at post-call time and read
 * at call start in one query.
 */
import { eq, sql } from 'drizzle-orm';
import { type Db, preparedQueries } from '../../src/db/index.ts';
import { callers } from './schema.ts';

export interface CallerRow {
  user_id: string;
  agent_id: string;
  name: string | null;
  summary: string;
  greeting: string;
  conversations: number;
  last_conversation_id: string;
  updated_at: number;
}

/** A caller row under its column names. */
const ROW = {
  user_id: callers.userId,
  agent_id: callers.agentId,
  name: callers.name,
  summary: callers.summary,
  greeting: callers.greeting,
  conversations: callers.conversations,
  last_conversation_id: callers.lastConversationId,
  updated_at: callers.updatedAt,
};

const queries = preparedQueries((db) => ({
  byUser: db
    .select(ROW)
    .from(callers)
    .where(eq(callers.userId, sql.placeholder('user_id')))
    .prepare(),
  upsert: db
    .insert(callers)
    .values({
      userId: sql.placeholder('user_id'),
      agentId: sql.placeholder('agent_id'),
      name: sql.placeholder('name'),
      summary: sql.placeholder('summary'),
      greeting: sql.placeholder('greeting'),
      conversations: sql.placeholder('conversations'),
      lastConversationId: sql.placeholder('last_conversation_id'),
      updatedAt: sql.placeholder('updated_at'),
    })
    .onConflictDoUpdate({
      target: [callers.userId, callers.agentId],
      set: {
        name: sql`excluded.name`,
        summary: sql`excluded.summary`,
        greeting: sql`excluded.greeting`,
        conversations: sql`excluded.conversations`,
        lastConversationId: sql`excluded.last_conversation_id`,
        updatedAt: sql`excluded.updated_at`,
      },
    })
    .prepare(),
}));

export class CallerStore {
  constructor(private readonly db: Db) {}

  private get queries() {
    return queries(this.db);
  }

  /** The row for this agent, else the caller's latest row with any agent (greeting not reused). */
  read(userId: string, agentId: string): { row: CallerRow; sameAgent: boolean } | null {
    // One row per agent the caller spoke to: picked here, as an ORDER BY on an expression made
    // SQLite build a sorter for every call start (most of this query's cost, even with no row).
    const rows: CallerRow[] = this.queries.byUser.all({ user_id: userId });
    let row: CallerRow | undefined;
    for (const candidate of rows) {
      if (candidate.agent_id === agentId) return { row: candidate, sameAgent: true };
      if (!row || candidate.updated_at > row.updated_at) row = candidate;
    }
    return row ? { row, sameAgent: false } : null;
  }

  upsert(row: CallerRow): void {
    this.queries.upsert.run({ ...row });
  }

  deleteUser(userId: string): number {
    return this.db.all(sql`DELETE FROM agent_memory_callers WHERE user_id = ${userId} RETURNING user_id`)
      .length;
  }
}
