/**
 * How a conversation becomes stored texts, the same for every backend: its summary, each fact, and
 * the transcript cut into chunks of whole turns (a turn longer than a chunk is cut at word bounds).
 * Each piece has a (kind, seq) key, so a second delivery of the same conversation writes nothing new.
 */
import type { ConversationRecord, Turn } from './types.ts';

export type PieceKind = 'summary' | 'fact' | 'transcript';

export interface Piece {
  kind: PieceKind;
  seq: number;
  text: string;
}

/** Splits `text` into parts of at most `max` characters, at whitespace when there is one. */
export function splitText(text: string, max: number): string[] {
  return splitClean(singleSpaced(text), max);
}

/** Whitespace other than one plain space between two non-spaces, or a NUL: what `singleSpaced` changes. */
const UNEVEN_SPACE = /[^\S ]|\s\s|\0/;

/**
 * `text` without NULs (Deno's SQLite driver would end the stored text at the first), with every run
 * of whitespace made one space, trimmed. Most turns need nothing: they are only tested, not rebuilt
 * (the replace made a new string of every turn of every conversation).
 */
export function singleSpaced(text: string): string {
  return UNEVEN_SPACE.test(text) ? text.replace(/\0/g, '').replace(/\s+/g, ' ').trim() : text.trim();
}

/** `splitText` of a text whose whitespace is already single spaces, trimmed. */
function splitClean(clean: string, max: number): string[] {
  if (!clean) return [];
  if (clean.length <= max) return [clean];
  const parts: string[] = [];
  let rest = clean;
  while (rest.length > max) {
    let cut = rest.lastIndexOf(' ', max);
    if (cut < max / 2) cut = max;
    parts.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) parts.push(rest);
  return parts;
}

function turnLine(turn: Turn): string {
  return `${turn.role === 'user' ? 'Caller' : 'Agent'}: ${singleSpaced(turn.text)}`;
}

/** The transcript as chunks of whole turns, each at most `max` characters. */
export function transcriptChunks(transcript: Turn[], max: number): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const turn of transcript) {
    if (!turn.text?.trim()) continue;
    for (const line of splitClean(turnLine(turn), max)) {
      if (current && current.length + 1 + line.length > max) {
        chunks.push(current);
        current = '';
      }
      current = current ? `${current}\n${line}` : line;
    }
  }
  if (current) chunks.push(current);
  return chunks;
}

/** Every piece of a conversation, each text at most `max` characters. */
export function conversationPieces(conversation: ConversationRecord, max: number): Piece[] {
  const pieces: Piece[] = [];
  splitText(conversation.summary ?? '', max).forEach((text, seq) => {
    pieces.push({ kind: 'summary', seq, text });
  });
  let factSeq = 0;
  for (const fact of conversation.facts ?? []) {
    for (const text of splitText(fact, max)) pieces.push({ kind: 'fact', seq: factSeq++, text });
  }
  transcriptChunks(conversation.transcript ?? [], max).forEach((text, seq) => {
    pieces.push({ kind: 'transcript', seq, text });
  });
  return pieces;
}

/** The key that makes a piece unique within its conversation. */
export function pieceKey(kind: string, seq: number): string {
  return `${kind}:${seq}`;
}

/** Clamps a requested limit into 1..max, `fallback` when absent. */
export function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  const n = limit === undefined || !Number.isFinite(limit) ? fallback : Math.trunc(limit);
  return Math.min(Math.max(n, 1), max);
}
