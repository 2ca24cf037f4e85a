/**
 * Text helpers of the fake OpenMemory: tokens, a 64-bit simhash written as 16 hex digits, the
 * Hamming distance between two of them, and the "essence" that replaces content longer than
 * `OM_SUMMARY_MAX_LENGTH` when `OM_USE_SUMMARY_ONLY=true` (sentence scoring in the spirit of
 * `extract_essence` in CaviraOSS/OpenMemory `src/memory/hsg.ts`; not a copy).
 */

export function tokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function simhash(text: string): string {
  const votes = new Array<number>(64).fill(0);
  for (const token of tokens(text)) {
    const halves = [fnv1a(token), fnv1a(`${token}#`)];
    for (let bit = 0; bit < 64; bit++) {
      const set = (halves[bit >> 5] >>> (bit & 31)) & 1;
      votes[bit] += set ? 1 : -1;
    }
  }
  let hex = '';
  for (let bit = 0; bit < 64; bit += 4) {
    let nibble = 0;
    for (let j = 0; j < 4; j++) nibble = (nibble << 1) | (votes[bit + j] > 0 ? 1 : 0);
    hex += nibble.toString(16);
  }
  return hex;
}

export function hamming(a: string, b: string): number {
  let distance = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    let xor = Number.parseInt(a[i], 16) ^ Number.parseInt(b[i], 16);
    while (xor) {
      distance += xor & 1;
      xor >>= 1;
    }
  }
  return distance;
}

function sentenceScore(sentence: string, index: number): number {
  let score = 0;
  if (index === 0) score += 10;
  if (index === 1) score += 5;
  if (/^#+\s/.test(sentence) || /^[A-Z][A-Z\s]+:/.test(sentence)) score += 8;
  if (/^[A-Z][a-z]+:/i.test(sentence)) score += 6;
  if (/\d{4}-\d{2}-\d{2}/.test(sentence)) score += 7;
  if (
    /\b(january|february|march|april|may|june|july|august|september|october|november|december)\s+\d+/i.test(
      sentence,
    )
  ) {
    score += 5;
  }
  if (/\$\d+|\d+\s*(miles|dollars|years|months|km)/.test(sentence)) score += 4;
  if (/\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+/.test(sentence)) score += 3;
  if (
    /\b(bought|paid|visited|went|got|received|learned|found|met|completed|finished|fixed|created|updated)\b/i.test(
      sentence,
    )
  ) {
    score += 4;
  }
  if (/\b(who|what|when|where|why|how)\b/i.test(sentence)) score += 2;
  if (sentence.length < 80) score += 2;
  if (/\b(I|my|me)\b/.test(sentence)) score += 1;
  return score;
}

/** What OpenMemory keeps of `raw`: the whole text when short enough, else the best sentences. */
export function essence(raw: string, maxLength: number): string {
  if (raw.length <= maxLength) return raw;
  const sentences = raw
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 10);
  if (sentences.length === 0) return raw.slice(0, maxLength);
  const ranked = sentences
    .map((text, index) => ({ text, index, score: sentenceScore(text, index) }))
    .sort((a, b) => b.score - a.score);
  const chosen: typeof ranked = [];
  let length = 0;
  const first = ranked.find((s) => s.index === 0);
  if (first && first.text.length < maxLength) {
    chosen.push(first);
    length += first.text.length;
  }
  for (const candidate of ranked) {
    if (candidate.index === 0) continue;
    if (length + candidate.text.length + 2 <= maxLength) {
      chosen.push(candidate);
      length += candidate.text.length + 2;
    }
  }
  const kept = chosen
    .sort((a, b) => a.index - b.index)
    .map((s) => s.text)
    .join(' ');
  return kept || raw.slice(0, maxLength);
}

/** Share of the query's distinct tokens found in the text (0..1). */
export function overlap(query: string, text: string): number {
  const wanted = new Set(tokens(query));
  if (wanted.size === 0) return 0;
  const have = new Set(tokens(text));
  let hits = 0;
  for (const token of wanted) if (have.has(token)) hits++;
  return hits / wanted.size;
}
