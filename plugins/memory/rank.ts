/**
 * BM25 over one caller's own memories. FTS5's `bm25()` takes each term's document frequency from
 * every row of the index, every caller's, and walks the term's whole doclist to get it: the cost of
 * a search grew with the total number of memories. Here the statistics come from the caller's rows:
 * term frequency per row, document frequency among the caller's matching rows, and their average
 * length. `termStats` makes a row's terms, for the caller index (`callerTerms`) and for the counts
 * stored with the row, and `indexTerms` the query's, both by the same folding and stemming, so what
 * is counted is what matched. It folds and stems like SQLite's `porter unicode61 remove_diacritics 2`
 * tokenizer, which the first index used.
 */
import { porterStem } from './porter.ts';

/** FTS5's defaults. */
const K1 = 1.2;
const B = 0.75;

const COMBINING_MARKS = /\p{M}+/gu;
const WORDS = /[\p{L}\p{N}]+/gu;
const ASCII = /^[\x00-\x7f]*$/;

/** Stems of words seen lately: memories repeat a small vocabulary, and stemming is most of the work. */
const STEM_CACHE_MAX = 50_000;
const stems = new Map<string, string>();

function cachedStem(word: string): string {
  let stem = stems.get(word);
  if (stem === undefined) {
    if (stems.size >= STEM_CACHE_MAX) stems.clear();
    stem = porterStem(word);
    stems.set(word, stem);
  }
  return stem;
}

/** Lower-cased, accents dropped: the text the index tokenizer would cut into words. */
function fold(text: string): string {
  return ASCII.test(text)
    ? text.toLowerCase()
    : text.normalize('NFD').replace(COMBINING_MARKS, '').toLowerCase();
}

/** Runs of letters and digits of the folded text, not yet stemmed. */
function foldedWords(text: string): string[] {
  return fold(text).match(WORDS) ?? [];
}

/** Index terms of a text: lower-cased, accents dropped, runs of letters and digits, Porter-stemmed. */
export function indexTerms(text: string): string[] {
  const words = foldedWords(text);
  for (let i = 0; i < words.length; i++) words[i] = cachedStem(words[i] as string);
  return words;
}

/**
 * What ranking needs of a text, counted once when it is stored: its distinct terms (the caller
 * index's), each with its count as ` term:count` (terms hold only letters and digits, so a term is
 * found by `indexOf(' term:')`), and its number of words.
 */
export interface TermStats {
  terms: string[];
  counts: string;
  words: number;
}

export function termStats(text: string): TermStats {
  const words = foldedWords(text);
  // Words first, each counted in a box (one map lookup for a repeat), then each distinct word
  // stemmed once: most words of a text repeat.
  const byWord = new Map<string, { n: number }>();
  for (const word of words) {
    const seen = byWord.get(word);
    if (seen) seen.n++;
    else byWord.set(word, { n: 1 });
  }
  const counted = new Map<string, { n: number }>();
  for (const [word, seen] of byWord) {
    const stem = cachedStem(word);
    const same = counted.get(stem);
    if (same) same.n += seen.n;
    else counted.set(stem, { n: seen.n });
  }
  let counts = '';
  for (const [term, seen] of counted) counts += ` ${term}:${seen.n}`;
  return { terms: [...counted.keys()], counts, words: words.length };
}

/** Most times one word counts in one text (term frequencies are kept in 16 bits). */
const MAX_TF = 65_535;

/** The count of ` term:` (a `needle`) in a {@link TermStats} `counts`, 0 when absent. */
function countOf(counts: string, needle: string): number {
  const at = counts.indexOf(needle);
  if (at < 0) return 0;
  let n = 0;
  for (let i = at + needle.length; i < counts.length; i++) {
    const digit = counts.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    n = n * 10 + digit;
  }
  return Math.min(n, MAX_TF);
}

/**
 * A candidate to score: its stored counts (`termCounts`, `wordCount` from {@link termStats}) or,
 * for a row not counted yet, its text.
 */
export interface Scorable {
  termCounts?: string | null;
  wordCount?: number | null;
  text?: string | null;
}

/**
 * BM25 of each document for the query terms, with IDF from `totalDocs` (the caller's memories) and
 * the document frequencies and average length of `docs` (the caller's matches). Same order as `docs`.
 */
export function bm25Scores(queryTerms: string[], docs: readonly Scorable[], totalDocs: number): number[] {
  const terms = [...new Set(queryTerms)];
  if (terms.length === 0 || docs.length === 0) return docs.map(() => 0);
  const needles = terms.map((term) => ` ${term}:`);
  const counts: Uint16Array[] = [];
  const lengths: number[] = [];
  const docFreq = new Array<number>(terms.length).fill(0);
  for (const doc of docs) {
    // A row not counted yet is counted here, by the same function that counts stored rows.
    const stats =
      doc.termCounts != null && doc.wordCount != null
        ? { counts: doc.termCounts, words: doc.wordCount }
        : termStats(doc.text ?? '');
    const tf = new Uint16Array(terms.length);
    for (let i = 0; i < needles.length; i++) tf[i] = countOf(stats.counts, needles[i] as string);
    lengths.push(stats.words);
    for (let i = 0; i < tf.length; i++) if (tf[i]! > 0) docFreq[i]!++;
    counts.push(tf);
  }
  const n = Math.max(totalDocs, docs.length);
  const idf = docFreq.map((df) => Math.log(1 + (n - df + 0.5) / (df + 0.5)));
  const avgLength = lengths.reduce((a, b) => a + b, 0) / docs.length || 1;
  return counts.map((tf, d) => {
    const norm = K1 * (1 - B + (B * lengths[d]!) / avgLength);
    let score = 0;
    for (let i = 0; i < tf.length; i++) {
      const f = tf[i]!;
      if (f > 0) score += (idf[i]! * f * (K1 + 1)) / (f + norm);
    }
    return score;
  });
}
