/** Named, time-limited leases in SQLite: one holder at a time across processes sharing the file. */
import { sql } from 'drizzle-orm';
import type { Db } from './index.ts';

/**
 * Takes or renews the lease `name` for `holder` until `nowMs + ttlMs`. Returns true when held.
 * A lease whose holder died expires by itself.
 */
export function acquireLease(db: Db, name: string, holder: string, nowMs: number, ttlMs: number): boolean {
  const rows = db.all<{ holder: string }>(sql`
    INSERT INTO elaoms_leases (name, holder, expires_at) VALUES (${name}, ${holder}, ${nowMs + ttlMs})
    ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
      WHERE elaoms_leases.holder = excluded.holder OR elaoms_leases.expires_at <= ${nowMs}
    RETURNING holder`);
  return rows.length === 1 && rows[0]!.holder === holder;
}

export function releaseLease(db: Db, name: string, holder: string): void {
  db.run(sql`DELETE FROM elaoms_leases WHERE name = ${name} AND holder = ${holder}`);
}
