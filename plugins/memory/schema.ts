/**
 * The embedded backend's tables. `memory_items` holds every stored text (one row per chunk of a
 * conversation), `memory_user_summaries` the one summary per caller that call start reads. The
 * caller index (FTS5 `memory_terms`), what ranking reads of each row (`memory_ranks`, a WITHOUT ROWID
 * table drizzle-kit cannot declare) and their triggers are hand-written SQL in the migrations.
 */
import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const memoryItems = sqliteTable(
  'memory_items',
  {
    /** Also the FTS5 rowid. AUTOINCREMENT so an erased id is never reused. */
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: text('user_id').notNull(),
    agentId: text('agent_id'),
    /** Never null, so the UNIQUE key below holds (SQLite treats NULLs as distinct). */
    conversationId: text('conversation_id').notNull(),
    /** 'summary' | 'fact' | 'transcript' (chunks of the turns). */
    kind: text('kind').notNull(),
    /** Position of the chunk within its kind. */
    seq: integer('seq').notNull(),
    text: text('text').notNull(),
    metadataJson: text('metadata_json').notNull().default('{}'),
    /** Milliseconds since the epoch: when the conversation ended. */
    createdAt: integer('created_at').notNull(),
    /**
     * How many words the text has. Null until the backend counted the row and wrote its
     * `memory_ranks` row (rows of an older database, rows inserted by hand).
     */
    wordCount: integer('word_count'),
  },
  (t) => [
    uniqueIndex('memory_items_conversation_uq').on(t.userId, t.conversationId, t.kind, t.seq),
    index('memory_items_user_recent_idx').on(t.userId, t.createdAt),
    /** The rows still to count: empty once the backend has caught up, so it costs nothing after. */
    index('memory_items_uncounted_idx').on(t.id).where(sql`${t.wordCount} IS NULL`),
  ],
);

export const memoryUserSummaries = sqliteTable('memory_user_summaries', {
  userId: text('user_id').primaryKey(),
  text: text('text').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

export type MemoryItemRow = typeof memoryItems.$inferSelect;
