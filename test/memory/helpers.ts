/** Shared helpers of the memory tests: a migrated in-memory database, a conversation to store. */
import { fileURLToPath } from 'node:url';
import type { ConversationRecord } from '../../plugins/memory/types.ts';
import { applyMigrations, type Db, openDatabase } from '../../src/db/index.ts';

export const MEMORY_MIGRATIONS = fileURLToPath(new URL('../../drizzle/memory', import.meta.url));

/** An in-memory SQLite with the memory plugin's tables. */
export function memoryDb(): Db {
  const db = openDatabase({ path: ':memory:' });
  applyMigrations(db, MEMORY_MIGRATIONS, '__elaoms_migrations_memory');
  return db;
}

/** A small conversation; `said` is what the caller said. */
export function conversation(
  id: string,
  said: string,
  options: { endedAt?: string; summary?: string; facts?: string[] } = {},
): ConversationRecord {
  return {
    conversationId: id,
    endedAt: options.endedAt ?? '2026-01-01T10:00:00.000Z',
    transcript: [
      { role: 'agent', text: 'Hello, how can I help?' },
      { role: 'user', text: said },
    ],
    summary: options.summary,
    facts: options.facts,
    metadata: { agent_id: 'agent_1', event_type: 'post_call_transcription' },
  };
}
