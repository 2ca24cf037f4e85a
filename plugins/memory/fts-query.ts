/**
 * Turns caller text into a safe FTS5 query. Raw text in MATCH is FTS5 syntax (quotes, `*`, `NEAR(`,
 * `-`, `:`, column filters, AND/OR/NOT), which throws or, worse, changes the meaning. We keep only
 * runs of letters and digits, quote each one, and join them with OR: never syntax, only words.
 */

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

/** `"a" OR "b"`, or null when the text has no word to look for. */
export function ftsAnyOf(text: string): string | null {
  const tokens = queryTokens(text);
  if (tokens.length === 0) return null;
  return tokens.map((t) => `"${t.replaceAll('"', '""')}"`).join(' OR ');
}

/** The caller's token in the `owner` column (the same expression as the migration's triggers). */
export function ownerToken(userId: string): string {
  return `u${Buffer.from(userId, 'utf8').toString('hex')}0`;
}

/** The full MATCH expression: this caller's rows AND any of the words. */
export function ftsMatch(userId: string, text: string): string | null {
  const words = ftsAnyOf(text);
  if (!words) return null;
  return `owner : "${ownerToken(userId)}" AND text : (${words})`;
}
