/**
 * The Porter stemmer as SQLite's FTS5 `porter` tokenizer applies it, so that ranking in JS counts the
 * same terms the index matched ("booked" and "booking" are both `book`). It works on the UTF-8 bytes
 * of a token, like SQLite: tokens under 3 or over 64 bytes pass through, and non-ASCII bytes count as
 * consonants. `test/memory/porter.test.ts` checks it word for word against SQLite's own tokenizer.
 */

type Condition = (stem: string) => boolean;
/** [suffix, replacement, condition on the stem before the suffix]. */
type Rule = readonly [string, string, Condition];

function isVowel(ch: string, yIsVowel: boolean): boolean {
  return ch === 'a' || ch === 'e' || ch === 'i' || ch === 'o' || ch === 'u' || (yIsVowel && ch === 'y');
}

/** How many vowel→consonant sequences ("VC") the stem has, the `m` of the algorithm (capped at 2). */
function measure(stem: string): number {
  let m = 0;
  let consonant = false;
  let seenVowel = false;
  for (let i = 0; i < stem.length && m < 2; i++) {
    const ch = stem[i] as string;
    consonant = !isVowel(ch, consonant);
    if (!consonant) seenVowel = true;
    else if (seenVowel) {
      m++;
      seenVowel = false;
    }
  }
  return m;
}

const mGt0: Condition = (s) => measure(s) > 0;
const mGt1: Condition = (s) => measure(s) > 1;
const mGt1SorT: Condition = (s) => (s.endsWith('s') || s.endsWith('t')) && measure(s) > 1;
const always: Condition = () => true;

/** `*v*`: the stem holds a vowel (a `y` counts after the first letter). */
function hasVowel(stem: string): boolean {
  for (let i = 0; i < stem.length; i++) if (isVowel(stem[i] as string, i > 0)) return true;
  return false;
}

/** `*o`: the stem ends consonant-vowel-consonant, the last not w, x or y. */
function endsCvc(stem: string): boolean {
  const last = stem[stem.length - 1];
  if (stem.length < 3 || last === 'w' || last === 'x' || last === 'y') return false;
  let mask = 0;
  let consonant = false;
  for (let i = 0; i < stem.length; i++) {
    consonant = !isVowel(stem[i] as string, consonant);
    mask = ((mask << 1) | (consonant ? 1 : 0)) & 7;
  }
  return mask === 5;
}

const STEP1B2: readonly Rule[] = [
  ['at', 'ate', always],
  ['bl', 'ble', always],
  ['iz', 'ize', always],
];
const STEP2: readonly Rule[] = [
  ['ational', 'ate', mGt0],
  ['tional', 'tion', mGt0],
  ['enci', 'ence', mGt0],
  ['anci', 'ance', mGt0],
  ['izer', 'ize', mGt0],
  ['logi', 'log', mGt0],
  ['bli', 'ble', mGt0],
  ['alli', 'al', mGt0],
  ['entli', 'ent', mGt0],
  ['eli', 'e', mGt0],
  ['ousli', 'ous', mGt0],
  ['ization', 'ize', mGt0],
  ['ation', 'ate', mGt0],
  ['ator', 'ate', mGt0],
  ['alism', 'al', mGt0],
  ['iveness', 'ive', mGt0],
  ['fulness', 'ful', mGt0],
  ['ousness', 'ous', mGt0],
  ['aliti', 'al', mGt0],
  ['iviti', 'ive', mGt0],
  ['biliti', 'ble', mGt0],
];
const STEP3: readonly Rule[] = [
  ['ical', 'ic', mGt0],
  ['ness', '', mGt0],
  ['icate', 'ic', mGt0],
  ['iciti', 'ic', mGt0],
  ['ful', '', mGt0],
  ['ative', '', mGt0],
  ['alize', 'al', mGt0],
];
const STEP4: readonly Rule[] = [
  ['al', '', mGt1],
  ['ance', '', mGt1],
  ['ence', '', mGt1],
  ['er', '', mGt1],
  ['ic', '', mGt1],
  ['able', '', mGt1],
  ['ible', '', mGt1],
  ['ant', '', mGt1],
  ['ement', '', mGt1],
  ['ment', '', mGt1],
  ['ent', '', mGt1],
  ['ion', '', mGt1SorT],
  ['ou', '', mGt1],
  ['ism', '', mGt1],
  ['ate', '', mGt1],
  ['iti', '', mGt1],
  ['ous', '', mGt1],
  ['ive', '', mGt1],
  ['ize', '', mGt1],
];

/**
 * The first rule whose suffix ends the word (with at least one letter before it) decides: applied
 * when its condition holds, otherwise the word stays. Returns the word and whether a rule applied.
 */
function applyFirst(word: string, rules: readonly Rule[]): [string, boolean] {
  for (const [suffix, replacement, condition] of rules) {
    if (word.length > suffix.length && word.endsWith(suffix)) {
      const stem = word.slice(0, word.length - suffix.length);
      return condition(stem) ? [stem + replacement, true] : [word, false];
    }
  }
  return [word, false];
}

function step1a(w: string): string {
  if (!w.endsWith('s')) return w;
  if (w[w.length - 2] === 'e') {
    const sses = w.length > 4 && w.endsWith('sses');
    const ies = w.length > 3 && w.endsWith('ies');
    return sses || ies ? w.slice(0, -2) : w.slice(0, -1);
  }
  return w[w.length - 2] === 's' ? w : w.slice(0, -1);
}

/** Step 1b: -eed, -ed, -ing, then the tidy-up of what is left. */
function step1b(w: string): string {
  let stripped: string | null = null;
  if (w.length > 3 && w.endsWith('eed')) return mGt0(w.slice(0, -3)) ? w.slice(0, -1) : w;
  if (w.length > 2 && w.endsWith('ed')) stripped = hasVowel(w.slice(0, -2)) ? w.slice(0, -2) : null;
  else if (w.length > 3 && w.endsWith('ing')) stripped = hasVowel(w.slice(0, -3)) ? w.slice(0, -3) : null;
  if (stripped === null) return w;
  const [grown, applied] = applyFirst(stripped, STEP1B2);
  if (applied) return grown;
  const last = stripped[stripped.length - 1] as string;
  if (
    !isVowel(last, false) &&
    last !== 'l' &&
    last !== 's' &&
    last !== 'z' &&
    last === stripped[stripped.length - 2]
  ) {
    return stripped.slice(0, -1);
  }
  if (measure(stripped) === 1 && endsCvc(stripped)) return `${stripped}e`;
  return stripped;
}

/** Stems a word of lower-case bytes (a "binary string": one char per UTF-8 byte). */
function stemBytes(word: string): string {
  if (word.length < 3 || word.length > 64) return word;
  let w = step1b(step1a(word));
  if (w.endsWith('y') && hasVowel(w.slice(0, -1))) w = `${w.slice(0, -1)}i`;
  w = applyFirst(w, STEP2)[0];
  w = applyFirst(w, STEP3)[0];
  w = applyFirst(w, STEP4)[0];
  if (w.endsWith('e')) {
    const stem = w.slice(0, -1);
    const m = measure(stem);
    if (m > 1 || (m === 1 && !endsCvc(stem))) w = stem;
  }
  if (w.length > 1 && w.endsWith('ll') && measure(w.slice(0, -1)) > 1) w = w.slice(0, -1);
  return w;
}

const ASCII_WORD = /^[\x00-\x7f]*$/;

/** The Porter stem of a lower-case token, as SQLite's porter tokenizer would index it. */
export function porterStem(token: string): string {
  if (ASCII_WORD.test(token)) return stemBytes(token);
  const bytes = Buffer.from(token, 'utf8').toString('latin1');
  return Buffer.from(stemBytes(bytes), 'latin1').toString('utf8');
}
