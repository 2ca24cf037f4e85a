/**
 * What rows replaced by hand leave behind in the embedded backend's derived tables, and its cleanup.
 * `INSERT OR REPLACE` deletes the rows it replaces without firing delete triggers, so their index
 * terms (`memory_terms`) and counts (`memory_ranks`) stay: under ids that are gone, or, after a
 * restore by id, under ids that now hold another caller's row. A search skips them and notes them;
 * the background round removes them, and erasure removes the caller's by the caller's id.
 */
import { type Db, transaction } from '../../src/db/index.ts';
import { rowIndexer, type UncountedRow } from './upkeep.ts';

export interface Leftovers {
  /** A search met `userId`'s ranks row for `id`, whose memory is not `userId`'s row any more. */
  note(id: number, userId: string): void;
  /** Removes what the noted ids left (the background round); an id now another's is indexed for it. */
  sweep(): void;
  /**
   * Removes the caller's terms and counts by the caller's ranks rows, inside the erasure's
   * transaction, before its `memory_items` rows go; an id now another caller's is indexed for it.
   */
  forgetUser(userId: string): void;
}

export function leftovers(db: Db): Leftovers {
  const client = db.$client;
  const indexRow = rowIndexer(db);
  const isTheirs = client.prepare('SELECT 1 FROM memory_items WHERE id = ? AND user_id = ?');
  const ownerOf = client.prepare(
    'SELECT id, user_id AS userId, created_at AS createdAt, text FROM memory_items WHERE id = ?',
  );
  const dropTerms = client.prepare('DELETE FROM memory_terms WHERE rowid = ?');
  const dropRank = client.prepare('DELETE FROM memory_ranks WHERE user_id = ? AND id = ?');
  // Ids the caller's ranks rows name that are now another caller's rows (restored by hand by id).
  const takenOver = client.prepare(
    `SELECT m.id, m.user_id AS userId, m.created_at AS createdAt, m.text FROM memory_ranks r
       JOIN memory_items m ON m.id = r.id AND m.user_id <> r.user_id WHERE r.user_id = ?`,
  );
  const dropUserTerms = client.prepare(
    `DELETE FROM memory_terms WHERE rowid IN (SELECT r.id FROM memory_ranks r WHERE r.user_id = ?1
       AND NOT EXISTS (SELECT 1 FROM memory_items m WHERE m.id = r.id AND m.user_id <> ?1))`,
  );
  const dropUserRanks = client.prepare('DELETE FROM memory_ranks WHERE user_id = ?');
  const noted = new Map<number, string>();

  /** Gives `row`'s id to its owner: the terms it had go, the owner's are written. */
  function reindex(row: UncountedRow) {
    dropTerms.run(row.id);
    indexRow(row);
  }

  return {
    note(id, userId) {
      noted.set(id, userId);
    },

    sweep() {
      if (noted.size === 0) return;
      const found = [...noted];
      noted.clear();
      transaction(db, () => {
        for (const [id, userId] of found) {
          // The caller's row again (ids are never reused, but a restore by id writes them).
          if (isTheirs.get(id, userId)) continue;
          dropRank.run(userId, id);
          const owner = ownerOf.get(id) as unknown as UncountedRow | undefined;
          if (owner) reindex(owner);
          else dropTerms.run(id);
        }
      });
    },

    forgetUser(userId) {
      for (const row of takenOver.all(userId) as unknown as UncountedRow[]) reindex(row);
      dropUserTerms.run(userId);
      dropUserRanks.run(userId);
    },
  };
}
