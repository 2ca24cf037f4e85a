/** The core's own tables. Each plugin keeps its tables in its own schema.ts. */
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Time-limited claims on background work, so several workers never run the same job twice. */
export const leases = sqliteTable('elaoms_leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: integer('expires_at').notNull(),
});
