/**
 * What the embedded backend's FTS5 index costs, for the first design (a caller token in an `owner`
 * column, AND the words, `porter unicode61` in SQLite; `detail=full` and `detail=column`) and the one
 * in use (`callers`: each word behind the caller's key, `ascii`, `detail=none`, terms made in JS):
 * time and CPU per 22-row conversation insert and COMMIT, time of one caller's search MATCH with its
 * rows read, file size. `bun bench/fts-index.ts`; run it under `strace -f -c` to count page writes.
 * Knobs: FTS_CONVERSATIONS (default 1000, across 1000 callers), FTS_DESIGNS.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { callerTerms, termsMatch } from '../plugins/memory/fts-query.ts';

const SENTENCE =
  'I would like to change my booking for Friday evening to a table by the window, and my partner is vegetarian so please note that for the kitchen as well. ';
const CONVERSATIONS = Number(process.env.FTS_CONVERSATIONS ?? 1000);
const QUERY = 'window vegetarian';
const owner = (id: string) => `u${Buffer.from(id).toString('hex')}0`;
const caller = (c: number) => `+1555${c % 1000}`;

for (const design of (process.env.FTS_DESIGNS ?? 'owner-full,owner-column,callers').split(',')) {
  const path = join(tmpdir(), `elaoms-fts-${design}.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  const db = new DatabaseSync(path);
  const callers = design === 'callers';
  db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;');
  db.exec('CREATE TABLE items(id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT, text TEXT)');
  if (callers) {
    db.exec(
      `CREATE VIRTUAL TABLE fts USING fts5(terms, content='', contentless_delete=1, tokenize='ascii', detail=none)`,
    );
  } else {
    db.exec(`CREATE VIRTUAL TABLE fts USING fts5(owner, text, content='', contentless_delete=1,
      detail=${design.split('-')[1]}, tokenize='porter unicode61 remove_diacritics 2');
    CREATE TRIGGER ti AFTER INSERT ON items BEGIN
      INSERT INTO fts(rowid, owner, text) VALUES (new.id, 'u'||lower(hex(new.user_id))||'0', new.text);
    END;`);
  }
  const insert = db.prepare('INSERT INTO items(user_id, text) VALUES (?, ?)');
  const insertTerms = callers ? db.prepare('INSERT INTO fts(rowid, terms) VALUES (?, ?)') : null;
  const text = (k: number) => `${SENTENCE.repeat(3)} turn ${k} ${SENTENCE.repeat(2)}`.slice(0, 1000);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let c = 0; c < CONVERSATIONS; c++) {
    db.exec('BEGIN');
    for (let k = 0; k < 22; k++) {
      const row = insert.run(caller(c), text(k));
      insertTerms?.run(row.lastInsertRowid, callerTerms(caller(c), text(k)));
    }
    db.exec('COMMIT');
  }
  const cpu = process.cpuUsage(cpu0);
  const writeMs = (performance.now() - t0) / CONVERSATIONS;
  const writeCpuMs = (cpu.user + cpu.system) / 1000 / CONVERSATIONS;
  const search = db.prepare(
    'SELECT items.id, items.text FROM fts JOIN items ON items.id = fts.rowid WHERE fts MATCH ? AND items.user_id = ?',
  );
  const t1 = performance.now();
  let found = 0;
  for (let i = 0; i < 1000; i++) {
    const match = callers
      ? termsMatch(caller(i), QUERY)!
      : `owner : "${owner(caller(i))}" AND text : ("window" OR "vegetarian")`;
    found += search.all(match, caller(i)).length;
  }
  const searchMs = (performance.now() - t1) / 1000;
  const { mb } = db
    .prepare('SELECT page_count * page_size / 1e6 AS mb FROM pragma_page_count, pragma_page_size')
    .get() as { mb: number };
  console.log(
    `${design}: ${writeMs.toFixed(3)} ms (${writeCpuMs.toFixed(3)} ms CPU) per conversation, ${searchMs.toFixed(3)} ms per search (${found} rows), ${mb.toFixed(1)} MB`,
  );
  db.close();
}
