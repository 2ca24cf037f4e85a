/**
 * An event's payload lives beside its row (`agent_memory_event_payloads`), so claiming and marking
 * the event do not rewrite it. A database from before keeps every payload through the migration
 * and through a later rebuild of the events table; a payload goes with its event (prune and
 * erasure: test/agent-memory/sealed-queue.test.ts, erasure.test.ts) or, left alone, at a prune.
 */
import { describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EventStore } from '../../plugins/agent-memory/event-store.ts';
import { applyMigrations, closeDatabase, openDatabase } from '../../src/db/index.ts';
import { databaseBefore } from '../helpers/migrations.ts';

const MIGRATIONS = fileURLToPath(new URL('../../drizzle/agent-memory', import.meta.url));
const TABLE = '__elaoms_migrations_agent_memory';

describe('event payloads beside their rows', () => {
  it('moves the payloads of a database from before, and keeps them through a table rebuild', () => {
    const { db: old, path, dir } = databaseBefore(MIGRATIONS, 'event_payloads', TABLE);
    const insert = old.$client.prepare(
      `INSERT INTO agent_memory_events (id, dedup_key, type, conversation_id, user_id, user_id_source,
         received_at, status, next_attempt_at, payload) VALUES (?, ?, 'post_call_transcription', ?, '+1', 'caller_id', 1, ?, 1, ?)`,
    );
    insert.run(
      'e1',
      'd1',
      'conv_1',
      'pending',
      '{"type":"post_call_transcription","data":{"conversation_id":"conv_1"}}',
    );
    insert.run('e2', 'd2', 'conv_2', 'delivered', 'gAAAAAsealed');
    closeDatabase(old);

    const db = openDatabase({ path });
    applyMigrations(db, MIGRATIONS, TABLE);
    const store = new EventStore(db);
    expect(store.payloadOf('e1')).toBe(
      '{"type":"post_call_transcription","data":{"conversation_id":"conv_1"}}',
    );
    expect(store.payloadOf('e2')).toBe('gAAAAAsealed');
    const columns = db.$client.prepare('PRAGMA table_info(agent_memory_events)').all() as { name: string }[];
    expect(columns.map((c) => c.name)).not.toContain('payload');
    expect(store.get('e1')).toMatchObject({ id: 'e1', status: 'pending', conversation_id: 'conv_1' });

    // A later migration that rebuilds the events table (drizzle-kit's way to change a column) drops
    // the old table inside the migration's transaction: no payload may go with it.
    db.$client.exec(`BEGIN;
      CREATE TABLE __new_events AS SELECT * FROM agent_memory_events;
      DROP TABLE agent_memory_events;
      ALTER TABLE __new_events RENAME TO agent_memory_events;
      COMMIT;`);
    expect(store.payloadOf('e1')).toBeDefined();
    expect(store.payloadOf('e2')).toBe('gAAAAAsealed');

    // A payload left without its event (deleted by hand) goes at the next prune; the others stay.
    db.$client.exec("DELETE FROM agent_memory_events WHERE id = 'e2'");
    expect(store.prune(0)).toBe(0);
    expect(store.payloadOf('e2')).toBeUndefined();
    expect(store.payloadOf('e1')).toBeDefined();
    closeDatabase(db);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a new event with its payload, and a duplicate without a second one', () => {
    const db = openDatabase({ path: ':memory:' });
    applyMigrations(db, MIGRATIONS, TABLE);
    const store = new EventStore(db);
    const event = {
      dedupKey: 'k1',
      type: 'post_call_transcription',
      conversationId: 'conv_new',
      userId: '+1',
      userIdSource: 'caller_id',
      payload: '{"body":1}',
      status: 'pending' as const,
    };
    const first = store.insert(event, 1000);
    const again = store.insert({ ...event, payload: '{"body":2}' }, 2000);
    expect(again).toEqual({ row: first.row, duplicate: true });
    expect(store.payloadOf(first.row.id)).toBe('{"body":1}');
    expect(db.$client.prepare('SELECT count(*) AS n FROM agent_memory_event_payloads').get()).toEqual({
      n: 1,
    });
    closeDatabase(db);
  });
});
