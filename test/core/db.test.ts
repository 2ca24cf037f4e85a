import { describe, expect, it } from 'bun:test';
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sql } from 'drizzle-orm';
import { createApp } from '../../src/app.ts';
import { CORE_MIGRATIONS } from '../../src/core.ts';
import {
  applyMigrations,
  closeDatabase,
  openDatabase,
  readSnapshot,
  transaction,
} from '../../src/db/index.ts';
import { acquireLease, releaseLease } from '../../src/db/leases.ts';
import { leases } from '../../src/db/schema.ts';
import { memoryDestination } from '../../src/log.ts';

function freshDb() {
  const db = openDatabase({ path: join(mkdtempSync(join(tmpdir(), 'db-')), 'test.db') });
  applyMigrations(db, CORE_MIGRATIONS, '__test_migrations_core');
  return db;
}

describe('database', () => {
  it('applies migrations to an empty database, and again without change', () => {
    const db = freshDb();
    const schemaOf = () => db.all<{ sql: string }>(sql`SELECT name, sql FROM sqlite_master ORDER BY name`);
    const before = schemaOf();
    const applied = db.all(sql`SELECT * FROM __test_migrations_core`);
    expect(before.map((r: any) => r.name)).toContain('elaoms_leases');
    applyMigrations(db, CORE_MIGRATIONS, '__test_migrations_core');
    expect(schemaOf()).toEqual(before);
    expect(db.all(sql`SELECT * FROM __test_migrations_core`)).toEqual(applied);
  });

  it('boots the full app twice on one file without changing its schema or any migrations table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'db-'));
    const env = { DATABASE_PATH: join(dir, 'elaoms.db'), WEBHOOK_STORAGE_PATH: join(dir, 'webhooks') };
    const snapshot = async () => {
      const core = await createApp({ env, argv: [], cwd: dir, logDestination: memoryDestination() });
      const master = core.db.all<{ name: string; sql: string | null }>(
        sql`SELECT type, name, sql FROM sqlite_master ORDER BY name`,
      );
      const tables = master.map((row) => row.name).filter((name) => /^__elaoms_migrations_/.test(name));
      const migrations = tables.map((name) => core.db.all(sql.raw(`SELECT * FROM "${name}" ORDER BY 1`)));
      await core.stop();
      return { master, tables, migrations };
    };
    const first = await snapshot();
    // Every plugin with migrations has its own table, and each recorded at least one migration.
    expect(first.tables.length).toBeGreaterThanOrEqual(5);
    for (const rows of first.migrations) expect(rows.length).toBeGreaterThan(0);
    expect(await snapshot()).toEqual(first);
  });

  it('creates the database file and its WAL owner-only', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'db-')), 'nested', 'test.db');
    const db = openDatabase({ path });
    applyMigrations(db, CORE_MIGRATIONS, '__test_migrations_core');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    closeDatabase(db);
  });

  it('makes an existing database file and its WAL owner-only', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'db-')), 'old.db');
    closeDatabase(openDatabase({ path }));
    writeFileSync(`${path}-wal`, '');
    chmodSync(path, 0o644);
    chmodSync(`${path}-wal`, 0o664);
    const db = openDatabase({ path });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
    closeDatabase(db);
  });

  it('checkpoints the WAL every 10,000 pages by default, as DATABASE_WAL_AUTOCHECKPOINT_PAGES says', async () => {
    const pragma = (db: ReturnType<typeof openDatabase>, name: string) =>
      Object.values(db.$client.prepare(`PRAGMA ${name}`).get() as Record<string, number>)[0];
    const db = freshDb();
    expect(pragma(db, 'wal_autocheckpoint')).toBe(10_000);
    expect(pragma(db, 'journal_size_limit')).toBe(64 * 1024 * 1024);
    // FAST: deleted content is zeroed on pages written anyway (2 in SQLite's numbering).
    expect(pragma(db, 'secure_delete')).toBe(2);
    closeDatabase(db);
    const dir = mkdtempSync(join(tmpdir(), 'db-'));
    const core = await createApp({
      env: {
        DATABASE_PATH: join(dir, 'elaoms.db'),
        WEBHOOK_STORAGE_PATH: join(dir, 'webhooks'),
        DATABASE_WAL_AUTOCHECKPOINT_PAGES: '0',
      },
      argv: [],
      cwd: dir,
      logDestination: memoryDestination(),
    });
    expect(pragma(core.db, 'wal_autocheckpoint')).toBe(0);
    await core.stop();
  });

  it('uses WAL mode on a file', () => {
    const db = freshDb();
    expect(db.get<{ journal_mode: string }>(sql`PRAGMA journal_mode`)!.journal_mode).toBe('wal');
  });

  it('leaves no rows when a transaction fails', () => {
    const db = freshDb();
    expect(() =>
      transaction(db, () => {
        db.insert(leases).values({ name: 'a', holder: 'h', expiresAt: 1 }).run();
        throw new Error('fail after insert');
      }),
    ).toThrow('fail after insert');
    expect(db.select().from(leases).all()).toEqual([]);
  });

  it('reads one snapshot in readSnapshot, whatever another connection commits meanwhile', () => {
    const db = freshDb();
    const other = openDatabase({ path: db.$client.location()! });
    const count = () => db.select().from(leases).all().length;
    const seen = readSnapshot(db, () => {
      const before = count();
      other.insert(leases).values({ name: 'c', holder: 'h', expiresAt: 1 }).run();
      return [before, count()];
    });
    expect(seen).toEqual([0, 0]);
    expect(count()).toBe(1);
    expect(db.$client.isTransaction).toBe(false);
    // Inside a transaction it reads in that transaction; after a throw no transaction is left open.
    expect(transaction(db, () => readSnapshot(db, count))).toBe(1);
    expect(() =>
      readSnapshot(db, () => {
        count();
        throw new Error('read failed');
      }),
    ).toThrow('read failed');
    expect(db.$client.isTransaction).toBe(false);
    closeDatabase(other);
  });

  it('refuses an async callback and rolls it back', () => {
    const db = freshDb();
    expect(() =>
      transaction(db, (async () => {
        db.insert(leases).values({ name: 'b', holder: 'h', expiresAt: 1 }).run();
      }) as any),
    ).toThrow('must be synchronous');
    expect(db.select().from(leases).all()).toEqual([]);
  });

  it('gives a lease to one holder until it expires', () => {
    const db = freshDb();
    expect(acquireLease(db, 'sweep', 'w1', 1000, 100)).toBe(true);
    expect(acquireLease(db, 'sweep', 'w2', 1050, 100)).toBe(false);
    expect(acquireLease(db, 'sweep', 'w1', 1050, 100)).toBe(true);
    expect(acquireLease(db, 'sweep', 'w2', 1151, 100)).toBe(true);
    releaseLease(db, 'sweep', 'w2');
    expect(acquireLease(db, 'sweep', 'w1', 1152, 100)).toBe(true);
  });
});
