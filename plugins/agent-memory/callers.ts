/**
 * The caller's summary and next greeting, per (caller, agent), written at post-call time and read
 * at call start in one query.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/index.ts';

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

export class CallerStore {
  constructor(private readonly db: Db) {}

  /** The row for this agent, else the caller's latest row with any agent (greeting not reused). */
  read(userId: string, agentId: string): { row: CallerRow; sameAgent: boolean } | null {
    // One row per agent the caller spoke to: picked here, as an ORDER BY on an expression made
    // SQLite build a sorter for every call start (most of this query's cost, even with no row).
    const rows = this.db.all<CallerRow>(sql`SELECT * FROM agent_memory_callers WHERE user_id = ${userId}`);
    let row: CallerRow | undefined;
    for (const candidate of rows) {
      if (candidate.agent_id === agentId) return { row: candidate, sameAgent: true };
      if (!row || candidate.updated_at > row.updated_at) row = candidate;
    }
    return row ? { row, sameAgent: false } : null;
  }

  upsert(row: CallerRow): void {
    this.db.run(sql`
      INSERT INTO agent_memory_callers (user_id, agent_id, name, summary, greeting, conversations,
        last_conversation_id, updated_at)
      VALUES (${row.user_id}, ${row.agent_id}, ${row.name}, ${row.summary}, ${row.greeting},
        ${row.conversations}, ${row.last_conversation_id}, ${row.updated_at})
      ON CONFLICT(user_id, agent_id) DO UPDATE SET name = excluded.name, summary = excluded.summary,
        greeting = excluded.greeting, conversations = excluded.conversations,
        last_conversation_id = excluded.last_conversation_id, updated_at = excluded.updated_at`);
  }

  deleteUser(userId: string): number {
    return this.db.all(sql`DELETE FROM agent_memory_callers WHERE user_id = ${userId} RETURNING user_id`)
      .length;
  }
}
