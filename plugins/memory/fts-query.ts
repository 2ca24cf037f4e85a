/**
 * Turns caller text into a safe FTS5 query. Raw text in MATCH is FTS5 syntax (quotes, `*`, `NEAR(`,
 * `-`, `:`, column filters, AND/OR/NOT), which throws or, worse, changes the meaning. We keep only
 * runs of letters and digits, quote each one, and join them with OR: never syntax, only words.
 * The embedded index holds each caller's words behind the caller's key (`callerTerms`).
 */
import { createHash } from 'node:crypto';
import { indexTerms, termStats } from './rank.ts';

/** Most words a query keeps (a spoken question is short; this bounds the work of one search). */
export const MAX_QUERY_TOKENS = 24;
const MAX_TOKEN_CHARS = 64;

/** Letter/digit runs of `text`, lower-cased and de-duplicated, in order. */
export function queryTokens(text: string): string[] {
  const found =
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
  const seen = new Set<string>();
  for (const token of found) {
    if (seen.size >= MAX_QUERY_TOKENS) break;
    seen.add(token.slice(0, MAX_TOKEN_CHARS));
  }
  return [...seen];
}

/**
 * The caller's key in `memory_terms`: 12 hex digits of SHA-256 of the user id, after a `k`. Every
 * indexed term starts with it, so a term's doclist holds one caller's rows. Two callers sharing a key
 * would only share doclists: the search still keeps the caller's own rows by `user_id`.
 */
export function callerKey(userId: string): string {
  // The rows of one conversation, and the searches of one call, ask for the same caller in a row.
  if (lastKey?.userId !== userId) {
    lastKey = { userId, key: `k${createHash('sha256').update(userId, 'utf8').digest('hex').slice(0, 12)}` };
  }
  return lastKey.key;
}
let lastKey: { userId: string; key: string } | undefined;

/** The caller's indexed terms of `text`: each distinct folded, stemmed word behind the caller's key. */
export function callerTerms(userId: string, text: string): string {
  return keyedTerms(userId, termStats(text).terms);
}

/** Distinct terms (from `termStats` or {@link callerTerms}) behind the caller's key, as indexed. */
export function keyedTerms(userId: string, terms: Iterable<string>): string {
  const key = callerKey(userId);
  let out = '';
  for (const term of terms) out += out ? ` ${key}${term}` : key + term;
  return out;
}

/** The MATCH expression for `memory_terms`: any of the query's words of this caller, or null. */
export function termsMatch(userId: string, text: string): string | null {
  return matchOf(userId, queryTerms(text));
}

/** The distinct index terms of a query: what it matches, and what ranking counts. */
export function queryTerms(text: string): string[] {
  return [...new Set(indexTerms(queryTokens(text).join(' ')))];
}

/** {@link termsMatch} of terms already made by {@link queryTerms}. */
export function matchOf(userId: string, terms: readonly string[]): string | null {
  if (terms.length === 0) return null;
  const key = callerKey(userId);
  return terms.map((term) => `"${key}${term}"`).join(' OR ');
}
