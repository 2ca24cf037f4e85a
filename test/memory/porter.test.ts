/**
 * The JS stemmer and folding make the caller index's terms; they must stem as a Porter stemmer does
 * (a search for "booked" finds "bookings"). SQLite's own `porter unicode61 remove_diacritics 2`
 * tokenizer is the oracle, word for word.
 */
import { afterAll, describe, expect, it } from 'bun:test';
import { indexTerms } from '../../plugins/memory/rank.ts';
import { closeDatabase, openDatabase } from '../../src/db/index.ts';

const CLASSIC =
  'caresses ponies ties caress cats feed agreed plastered bled motoring sing conflated troubled sized hopping tanned falling hissing fizzed failing filing happy sky relational conditional rational valenci hesitanci digitizer conformabli radicalli differentli vileli analogousli vietnamization predication operator feudalism decisiveness hopefulness callousness formaliti sensitiviti sensibiliti triplicate formative formalize electriciti electrical hopeful goodness revival allowance inference airliner gyroscopic adjustable defensible irritant replacement adjustment dependent adoption homologou communism activate angulariti homologous effective bowdlerize probate rate cease controll roll generalizations oscillators eed ed ing yes sses ies by say toy boy ys yy aaa booking booked books table vegetarian anniversary birthday refund invoice delivery address allergy gluten saturday family party appointment insurance payment'.split(
    ' ',
  );
const STEMS = [
  'form',
  'hop',
  'rat',
  'tann',
  'cond',
  'sens',
  'gener',
  'bak',
  'sky',
  'tr',
  'pl',
  'ag',
  'e',
  'ion',
  'fly',
  'cry',
  'relat',
  'cit',
  'mot',
  'fil',
  'hiss',
  'y',
  'ay',
  'oy',
  'bw',
  'xyz',
];
const SUFFIXES =
  'ational tional enci anci izer logi bli alli entli eli ousli ization ation ator alism iveness fulness ousness aliti iviti biliti ical ness icate iciti ful ative alize al ance ence er ic able ible ant ement ment ent ion sion tion ou ism ate iti ous ive ize s es sses ies ed eed ing ly y e ll at bl iz'.split(
    ' ',
  );
const FOLDED = [
  'Cafés',
  'naïve',
  'Ünïcödé',
  'Größe',
  'straße',
  'ÉCOLE',
  'über-booked',
  '東京',
  'Ωmega',
  'x2',
  'R2D2s',
  'tóking',
];

const words = [...CLASSIC, ...FOLDED];
for (const stem of STEMS) for (const suffix of SUFFIXES) words.push(stem + suffix, stem + suffix + 's');

describe('index terms as FTS5 tokenizes them', () => {
  const db = openDatabase({ path: ':memory:' });
  afterAll(() => closeDatabase(db));

  it(`folds and stems ${words.length} words exactly like SQLite's porter tokenizer`, () => {
    const client = db.$client;
    client.exec(
      `CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter unicode61 remove_diacritics 2');
       CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance');`,
    );
    const insert = client.prepare('INSERT INTO t(rowid, x) VALUES (?, ?)');
    for (const [i, word] of words.entries()) insert.run(i + 1, word);
    const rows = client.prepare('SELECT doc, term FROM v ORDER BY doc, offset').all() as {
      doc: number;
      term: string;
    }[];
    const sqlite = words.map(() => [] as string[]);
    for (const row of rows) sqlite[row.doc - 1]!.push(row.term);
    const differ = words.filter((word, i) => indexTerms(word).join(' ') !== sqlite[i]!.join(' '));
    expect(
      differ.map((w) => `${w}: js=${indexTerms(w).join(' ')} sqlite=${sqlite[words.indexOf(w)]!.join(' ')}`),
    ).toEqual([]);
  });
});
