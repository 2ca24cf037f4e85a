/**
 * Small WebCrypto helpers for HMAC-SHA256 over `<t>.<raw body>`.
 * Runtime-agnostic: only `crypto.subtle`, `TextEncoder` and typed arrays.
 */

const encoder = new TextEncoder();

/** Number of bytes in an HMAC-SHA256 digest. */
export const DIGEST_BYTES = 32;

/** Imports a UTF-8 secret as a non-extractable HMAC-SHA256 signing key. */
export function importHmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
}

/** Builds the signed message: the timestamp text, a literal `.`, then the raw body bytes unchanged. */
export function signedMessage(timestampText: string, raw: Uint8Array): Uint8Array<ArrayBuffer> {
  const prefix = encoder.encode(`${timestampText}.`);
  const message = new Uint8Array(prefix.byteLength + raw.byteLength);
  message.set(prefix, 0);
  message.set(raw, prefix.byteLength);
  return message;
}

/** Computes HMAC-SHA256 of `message` with an imported key. */
export async function hmacSha256(key: CryptoKey, message: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, message));
}

/** Lower-case hex of some bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

const DIGEST_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * Decodes a 64-character hex digest (either case) to 32 bytes.
 * Returns `null` for anything else (wrong length, non-hex characters), never a partial decode.
 */
export function digestFromHex(text: string): Uint8Array | null {
  if (!DIGEST_HEX.test(text)) return null;
  const bytes = new Uint8Array(DIGEST_BYTES);
  for (let i = 0; i < DIGEST_BYTES; i++) bytes[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/**
 * Compares two byte arrays in time that depends only on their length (XOR-accumulate, no early exit).
 * Lengths are public here (always 32), so a length mismatch returns at once.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
