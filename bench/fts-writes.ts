/**
 * What one conversation costs the embedded backend's FTS5 index, with `detail=full` (ours) and
 * `detail=column`: time per 22-row insert and COMMIT, time of an owner-filtered MATCH, file size.
 * `bun bench/fts-writes.ts`; run it under `strace -f -c` to count page writes.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

const SENTENCE =
  'I would like to change my booking for Friday evening to a table by the window, and my partner is vegetarian so please note that for the kitchen as well. ';
const CONVERSATIONS = Number(process.env.FTS_CONVERSATIONS ?? 1000);
const owner = (id: string) => `u${Buffer.from(id).toString('hex')}0`;

for (const detail of (process.env.FTS_DETAIL ?? 'full,column').split(',')) {
  const path = join(tmpdir(), `elaoms-fts-${detail}.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
    CREATE TABLE items(id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT, text TEXT);
    CREATE VIRTUAL TABLE fts USING fts5(owner, text, content='', contentless_delete=1, detail=${detail},
      tokenize='porter unicode61 remove_diacritics 2');
    CREATE TRIGGER ti AFTER INSERT ON items BEGIN
      INSERT INTO fts(rowid, owner, text) VALUES (new.id, 'u'||lower(hex(new.user_id))||'0', new.text);
    END;`);
  const insert = db.prepare('INSERT INTO items(user_id, text) VALUES (?, ?)');
  const text = (k: number) => `${SENTENCE.repeat(3)} turn ${k} ${SENTENCE.repeat(2)}`.slice(0, 1000);
  const t0 = performance.now();
  for (let c = 0; c < CONVERSATIONS; c++) {
    db.exec('BEGIN');
    for (let k = 0; k < 22; k++) insert.run(`+1555${c % 1000}`, text(k));
    db.exec('COMMIT');
  }
  const writeMs = (performance.now() - t0) / CONVERSATIONS;
  const match = db.prepare('SELECT count(*) AS n FROM fts WHERE fts MATCH ?');
  const t1 = performance.now();
  for (let i = 0; i < 1000; i++)
    match.get(`owner : "${owner(`+1555${i}`)}" AND text : ("window" OR "vegetarian")`);
  const searchMs = (performance.now() - t1) / 1000;
  const { mb } = db
    .prepare('SELECT page_count * page_size / 1e6 AS mb FROM pragma_page_count, pragma_page_size')
    .get() as { mb: number };
  console.log(
    `detail=${detail}: ${writeMs.toFixed(3)} ms per conversation, ${searchMs.toFixed(3)} ms per MATCH, ${mb.toFixed(1)} MB`,
  );
  db.close();
}
