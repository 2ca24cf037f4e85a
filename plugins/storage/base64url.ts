/**
 * Strict url-safe base64 (RFC 4648 §5) with `=` padding, as Fernet keys and tokens use it.
 * Decoding accepts only `A-Z a-z 0-9 - _`, a length that is a multiple of 4, at most two `=` at the
 * end, and zero leftover bits, so every byte string has exactly one accepted encoding.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ENCODE = new TextEncoder().encode(ALPHABET);
const PAD = 61; // '='

const DECODE = new Int16Array(256).fill(-1);
for (let i = 0; i < ENCODE.length; i++) DECODE[ENCODE[i]] = i;

/** Encodes bytes as padded url-safe base64. */
export function encodeBase64Url(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out[o++] = ENCODE[n >>> 18];
    out[o++] = ENCODE[(n >>> 12) & 63];
    out[o++] = ENCODE[(n >>> 6) & 63];
    out[o++] = ENCODE[n & 63];
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i] << 16) | (rest === 2 ? bytes[i + 1] << 8 : 0);
    out[o++] = ENCODE[n >>> 18];
    out[o++] = ENCODE[(n >>> 12) & 63];
    out[o++] = rest === 2 ? ENCODE[(n >>> 6) & 63] : PAD;
    out[o++] = PAD;
  }
  // The output is pure ASCII, which UTF-8 decodes byte for byte.
  return new TextDecoder().decode(out);
}

/**
 * Decodes padded url-safe base64, or returns `undefined` when the text is not strictly valid.
 * Accepts a string or its ASCII bytes (a token read from a file).
 */
export function decodeBase64Url(text: string | Uint8Array): Uint8Array<ArrayBuffer> | undefined {
  const src = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  if (src.length % 4 !== 0) return undefined;
  let pad = 0;
  if (src.length > 0 && src[src.length - 1] === PAD) pad = src[src.length - 2] === PAD ? 2 : 1;
  const out = new Uint8Array((src.length / 4) * 3 - pad);
  let o = 0;
  const full = src.length - (pad > 0 ? 4 : 0);
  for (let i = 0; i < full; i += 4) {
    const a = DECODE[src[i]];
    const b = DECODE[src[i + 1]];
    const c = DECODE[src[i + 2]];
    const d = DECODE[src[i + 3]];
    if ((a | b | c | d) < 0) return undefined;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 255;
    out[o++] = n & 255;
  }
  if (pad > 0) {
    const a = DECODE[src[full]];
    const b = DECODE[src[full + 1]];
    const c = pad === 1 ? DECODE[src[full + 2]] : 0;
    if ((a | b | c) < 0) return undefined;
    const n = (a << 18) | (b << 12) | (c << 6);
    // Non-canonical encodings (leftover bits set) are rejected.
    if (pad === 2 ? (n & 0xffff) !== 0 : (n & 0xff) !== 0) return undefined;
    out[o++] = n >>> 16;
    if (pad === 1) out[o++] = (n >>> 8) & 255;
  }
  return out;
}
