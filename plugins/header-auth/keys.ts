/**
 * Configured API keys: parsed once at boot into (name, SHA-256 digest) pairs, and checked in
 * constant time. Keys never leave this module; only names do.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { KeyScope } from './types.ts';

/** One configured key: its name and the SHA-256 of the key. */
export interface KeyEntry {
  name: string;
  digest: Buffer;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Longest presented key we look at; anything longer cannot match and is refused unhashed. */
export const MAX_KEY_LENGTH = 1024;

/** SHA-256 of a key. */
export function digestOf(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/**
 * Parses `key` or `name:key` entries. The part before the first `:` is a name only when it looks
 * like one (letters, digits, `_.-`, at most 64); otherwise the whole entry is the key and its name
 * is `<scope>-<first 8 hex of its SHA-256>`, stable across restarts and harmless to log.
 * Throws a TypeError naming `setting` on an empty key, a duplicate name or a duplicate key.
 */
export function parseKeys(entries: readonly string[], scope: KeyScope, setting: string): KeyEntry[] {
  const out: KeyEntry[] = [];
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const named = colon > 0 && NAME.test(entry.slice(0, colon));
    const key = (named ? entry.slice(colon + 1) : entry).trim();
    if (!key) throw new TypeError(`${setting}: entry ${i + 1} has an empty key`);
    if (key.length > MAX_KEY_LENGTH)
      throw new TypeError(`${setting}: entry ${i + 1} is over ${MAX_KEY_LENGTH} characters`);
    const digest = digestOf(key);
    const name = named ? entry.slice(0, colon) : `${scope}-${digest.toString('hex').slice(0, 8)}`;
    if (out.some((e) => e.name === name)) throw new TypeError(`${setting}: the name ${name} is used twice`);
    if (out.some((e) => timingSafeEqual(e.digest, digest)))
      throw new TypeError(`${setting}: entry ${i + 1} repeats a key`);
    out.push({ name, digest });
  });
  return out;
}

/**
 * The entry whose key equals `presented`, or null. Every configured key is compared (no early
 * exit) on fixed-length digests, so the time does not depend on which key matched or how much of it.
 */
export function findKey(entries: readonly KeyEntry[], presented: string): KeyEntry | null {
  if (presented.length > MAX_KEY_LENGTH) return null;
  const digest = digestOf(presented);
  let found: KeyEntry | null = null;
  for (const entry of entries) {
    const equal = timingSafeEqual(entry.digest, digest);
    if (equal && !found) found = entry;
  }
  return found;
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/** The key a request presents: `Authorization: Bearer <key>`, else `x-api-key`. Null when neither. */
export function presentedKey(request: Request): string | null {
  const authorization = request.headers.get('authorization');
  const bearer = authorization ? BEARER.exec(authorization) : null;
  if (bearer) return bearer[1]!;
  const apiKey = request.headers.get('x-api-key')?.trim();
  return apiKey ? apiKey : null;
}
