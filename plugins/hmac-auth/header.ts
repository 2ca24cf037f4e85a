/**
 * Parser for `ElevenLabs-Signature: t=<unix seconds>,v0=<hex>[,v0=<hex>…]`.
 * Pure and total: any string in, a result out, never a throw.
 */

import { digestFromHex } from './hmac.ts';

/** Longest header we parse. A real one is about 80 characters; a few rotated `v0` entries fit easily. */
export const MAX_HEADER_LENGTH = 2048;

/** Most comma-separated parts we parse (including empty and unknown ones). */
export const MAX_HEADER_PARTS = 16;

/** A header that has the shape we need; the values are not yet checked against time or secrets. */
export interface ParsedHeader {
  /** The timestamp exactly as sent (digits only); it is what the sender signed. */
  timestampText: string;
  /** The timestamp as a number of unix seconds. */
  timestamp: number;
  /** Every well-formed `v0` digest, decoded to 32 bytes, in header order. */
  digests: Uint8Array[];
}

const DIGITS = /^[0-9]+$/;

/**
 * Parses a signature header. Returns `null` when the header is malformed: too long, too many parts,
 * no `t`, more than one `t`, a `t` that is not all digits, or no well-formed `v0` (64 hex characters,
 * either case). Whitespace around parts, keys and values is ignored; unknown keys are skipped.
 */
export function parseSignatureHeader(header: string): ParsedHeader | null {
  if (header.length > MAX_HEADER_LENGTH) return null;
  const parts = header.split(',', MAX_HEADER_PARTS + 1);
  if (parts.length > MAX_HEADER_PARTS) return null;

  let timestampText: string | null = null;
  let timestampCount = 0;
  const digests: Uint8Array[] = [];
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      timestampCount++;
      timestampText = value;
    } else if (key === 'v0') {
      const digest = digestFromHex(value);
      if (digest) digests.push(digest);
    }
  }

  if (timestampCount !== 1 || timestampText === null || !DIGITS.test(timestampText)) return null;
  if (digests.length === 0) return null;
  return { timestampText, timestamp: Number(timestampText), digests };
}
