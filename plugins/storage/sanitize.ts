/**
 * Turning untrusted identifiers (conversation id, caller phone, agent id, webhook type) into one safe
 * path segment, and a last-guard path resolver.
 *
 * Rules (SEC-3, FR-4.5):
 * - A value that is already safe is returned unchanged: 1 to `maxBytes` characters from
 *   `A-Z a-z 0-9 _ + @ . ~ -`, first character not `.`, `-` or `~`, no `..`, no trailing `.`, and not a
 *   Windows device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, with any extension, any case). Typical ids
 *   (`conv_123`, `agent_abc`, `+15550109999`, `post_call_audio`) pass through readable and unchanged.
 * - Any other value is rewritten to a readable ASCII form and gets `~` plus 12 hex characters of the
 *   SHA-256 of the raw value (its UTF-16 code units), so that two different raw ids never share a name
 *   by accident, even when their readable forms agree. No value is ever decoded (percent, entities,
 *   overlong UTF-8): `%` and `&` are simply not allowed, so no later layer can decode a separator back in.
 * - Readable form: NFKC (fullwidth `．／` become `./` and are then replaced, superscript `COM¹` becomes
 *   `COM1`); a phone-like value keeps only `+` and digits (`+1 (555) 010-9999` → `+15550109999~…`);
 *   otherwise NFKD with combining marks stripped (`café` → `cafe`), other ASCII outside the set → `_`,
 *   other non-ASCII code points → `_u<hex>_` (`Иван` → `u418_u432_u430_u43d`), `..` runs → `_`, `_` runs
 *   collapsed, leading/trailing `. _ ~ -` trimmed, device names prefixed with `_`, an empty result → `unknown`.
 * - Length: at most `maxBytes` (default 128) bytes, all ASCII. The default leaves room in the 255-byte
 *   NAME_MAX for `{conversation_id}_{webhook_type}.{ext}.metadata.json` plus a conflict timestamp.
 *
 * Known limit: the function is idempotent, so it cannot also be injective on every string. A raw id that
 * already looks like `x~<12 hex>` is kept as is and could equal the rewritten form of another id chosen on
 * purpose; the file names inside such a directory still differ by conversation id.
 */

import { createHash } from 'node:crypto';
import { resolve, sep } from 'node:path';

/** Default and largest allowed `maxBytes`. */
export const DEFAULT_SEGMENT_BYTES = 128;
export const MAX_SEGMENT_BYTES = 255;
const MIN_SEGMENT_BYTES = 24;
const HASH_CHARS = 12;

const SAFE = /^[A-Za-z0-9_+@][A-Za-z0-9._+@~-]*$/;
const ALLOWED_CHAR = /^[A-Za-z0-9._+@~-]$/;
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;
const PHONE = /^\s*\+?[\d\s().-]*\d[\d\s().-]*$/;

/** Options for {@link sanitizeSegment} and {@link isSafeSegment}. */
export interface SegmentOptions {
  /** Maximum length of the result in bytes, 24 to 255. Default 128. */
  maxBytes?: number;
}

/** Thrown by {@link resolveInside} when a path would not be strictly inside its base. */
export class PathEscapeError extends Error {
  readonly base: string;
  readonly target: string;
  constructor(base: string, target: string) {
    super(`path ${JSON.stringify(target)} is not inside ${JSON.stringify(base)}`);
    this.name = 'PathEscapeError';
    this.base = base;
    this.target = target;
  }
}

/** True when `value` is already a safe segment, i.e. {@link sanitizeSegment} returns it unchanged. */
export function isSafeSegment(value: string, options: SegmentOptions = {}): boolean {
  const max = maxBytesOf(options);
  return (
    value.length > 0 &&
    value.length <= max &&
    SAFE.test(value) &&
    !value.includes('..') &&
    !value.endsWith('.') &&
    !isReserved(value)
  );
}

/**
 * Maps any string to a safe, non-empty, ASCII path segment of at most `maxBytes` bytes.
 * Idempotent: `sanitizeSegment(sanitizeSegment(x)) === sanitizeSegment(x)`. See the module comment.
 */
export function sanitizeSegment(id: string, options: SegmentOptions = {}): string {
  const max = maxBytesOf(options);
  const raw = String(id);
  if (isSafeSegment(raw, { maxBytes: max })) return raw;

  const budget = max - 1 - HASH_CHARS;
  let body = trimEnd(trimEdges(readable(raw)).slice(0, budget));
  if (isReserved(body)) body = trimEnd(`_${body}`.slice(0, budget));
  body ||= 'unknown';
  return `${body}~${shortHash(raw)}`;
}

/**
 * Resolves `segments` against `base` and returns the absolute path, which must be strictly inside `base`
 * (`base` itself does not count). A lexical check, meant as the last guard after {@link sanitizeSegment};
 * it does not follow symlinks.
 * @throws PathEscapeError when the result is outside `base`, equal to it, or a segment contains NUL.
 */
export function resolveInside(base: string, ...segments: string[]): string {
  const root = resolve(base);
  const target = resolve(root, ...segments);
  const prefix = root.endsWith(sep) ? root : root + sep;
  if (segments.some((s) => s.includes('\0')) || !target.startsWith(prefix) || target === root) {
    throw new PathEscapeError(root, target);
  }
  return target;
}

function maxBytesOf(options: SegmentOptions): number {
  const max = options.maxBytes ?? DEFAULT_SEGMENT_BYTES;
  if (!Number.isInteger(max) || max < MIN_SEGMENT_BYTES || max > MAX_SEGMENT_BYTES) {
    throw new RangeError(`maxBytes must be an integer from ${MIN_SEGMENT_BYTES} to ${MAX_SEGMENT_BYTES}`);
  }
  return max;
}

function isReserved(value: string): boolean {
  return RESERVED.test(value.split('.')[0]);
}

function readable(raw: string): string {
  const compat = raw.normalize('NFKC');
  if (PHONE.test(compat)) return (compat.trim().startsWith('+') ? '+' : '') + compat.replace(/\D/g, '');
  let out = '';
  for (const ch of compat.normalize('NFKD').replace(/\p{M}/gu, '')) {
    const code = ch.codePointAt(0)!;
    if (ALLOWED_CHAR.test(ch)) out += ch;
    else if (code < 0x80) out += '_';
    else out += `_u${code.toString(16)}_`;
  }
  return out.replace(/\.{2,}/g, '_').replace(/_{2,}/g, '_');
}

function trimEdges(value: string): string {
  return trimEnd(value.replace(/^[._~-]+/, ''));
}

function trimEnd(value: string): string {
  return value.replace(/[._~-]+$/, '');
}

function shortHash(raw: string): string {
  return createHash('sha256').update(raw, 'utf16le').digest('hex').slice(0, HASH_CHARS);
}
