/**
 * The reference tag remote texts carry, e.g. `[ref:t3:9f2c1ab4:5d7e0a11:c0a2b3f4] text`.
 * - It makes every stored text unique per caller, conversation and piece, so OpenMemory's global
 *   near-duplicate merge (simhash, Hamming ≤ 3, across all users) does not fold one caller's memory
 *   into another's: three hash words differ between any two callers.
 * - It survives where metadata does not (OpenMemory search hits): kind and seq are read back from it.
 * - It is stripped before any text leaves the backend, so it is never spoken.
 */
import { createHash } from 'node:crypto';

export const KIND_LETTERS: Record<string, string> = {
  summary: 's',
  fact: 'f',
  transcript: 't',
  user_summary: 'p',
};
const LETTER_KINDS = Object.fromEntries(Object.entries(KIND_LETTERS).map(([k, v]) => [v, k]));

const TAG = /^\[ref:([a-z])(\d+):[0-9a-f]{8}:[0-9a-f]{8}:[0-9a-f]{8}(?::\d+)?\] ?/;

/** The tag of one piece; `salt` > 0 gives a fresh tag when the server merged the first one anyway. */
export function refTag(userId: string, ref: string, kind: string, seq: number, salt = 0): string {
  const hex = createHash('sha256').update(`${userId}\u0000${ref}\u0000${kind}\u0000${seq}`).digest('hex');
  const letter = KIND_LETTERS[kind] ?? 'x';
  return `[ref:${letter}${seq}:${hex.slice(0, 8)}:${hex.slice(8, 16)}:${hex.slice(16, 24)}${salt ? `:${salt}` : ''}]`;
}

/** The length a tag adds in front of a text (tag plus one space), for chunk budgets. */
export const TAG_CHARS = '[ref:t9999:00000000:00000000:00000000:9] '.length;

/** The text without its tag, and what the tag said. */
export function readTag(content: string): { text: string; kind?: string; seq?: number } {
  const match = TAG.exec(content);
  if (!match) return { text: content };
  return { text: content.slice(match[0].length), kind: LETTER_KINDS[match[1]], seq: Number(match[2]) };
}
