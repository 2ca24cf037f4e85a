/** A database file as an older release left it: migrated up to, not including, a named migration. */
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations, type Db, openDatabase } from '../../src/db/index.ts';

/**
 * Opens a new database file in a temporary folder (`dir`, for the test to remove) with the
 * migrations of `folder` that come before the one whose name ends with `_${name}` (which must
 * exist and not be the first), recorded in `table`. The test closes `db`, then reopens `path`.
 */
export function databaseBefore(
  folder: string,
  name: string,
  table: string,
): { db: Db; path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), `elaoms-before-${name}-`));
  const before = join(dir, 'migrations');
  const folders = readdirSync(folder).sort();
  const at = folders.findIndex((entry) => entry.endsWith(`_${name}`));
  if (at < 1) throw new Error(`no migration "_${name}" after the first in ${folder}`);
  for (const entry of folders.slice(0, at))
    cpSync(join(folder, entry), join(before, entry), { recursive: true });
  const path = join(dir, 'old.db');
  const db = openDatabase({ path });
  applyMigrations(db, before, table);
  return { db, path, dir };
}
