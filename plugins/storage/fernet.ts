/**
 * Fernet (spec: github.com/fernet/spec) on WebCrypto, binary-safe, no dependency.
 *
 * Token = base64url(0x80 ‖ u64be timestamp ‖ IV[16] ‖ AES-128-CBC/PKCS#7 ciphertext ‖ HMAC-SHA256[32]).
 * Several keys form a MultiFernet: the first encrypts, any of them decrypts (key rotation).
 *
 * Size cap: Fernet is whole-message (no streaming, +33 % base64). Plaintexts above
 * {@link MAX_PLAINTEXT_BYTES} (64 MiB) are refused with a RangeError, and tokens whose length implies a
 * larger plaintext are refused before decoding. 64 MiB is above the largest default payload limit
 * (MAX_AUDIO_PAYLOAD_SIZE = 50 MB), so every payload the service accepts by default fits; peak memory per
 * call stays around 4–5× the plaintext. Raising the audio limit beyond the cap needs chunked encryption.
 */

import { decodeBase64Url, encodeBase64Url } from './base64url.ts';

/** Largest plaintext encrypt() accepts, in bytes. */
export const MAX_PLAINTEXT_BYTES = 64 * 1024 * 1024;

/** Tokens whose timestamp is further than this in the future are rejected (as Python's cryptography). */
export const MAX_CLOCK_SKEW_SEC = 60;

const VERSION = 0x80;
const HEADER = 1 + 8 + 16;
const MAC = 32;
const BLOCK = 16;
const MAX_TOKEN_CHARS = Math.ceil((HEADER + MAX_PLAINTEXT_BYTES + BLOCK + MAC) / 3) * 4;

/** The one error decrypt() throws, whatever was wrong with the token. */
export class InvalidToken extends Error {
  constructor() {
    super('invalid Fernet token');
    this.name = 'InvalidToken';
  }
}

/** Thrown when a key is not 32 bytes of padded url-safe base64. Never contains the key itself. */
export class InvalidKeyError extends Error {
  constructor(detail: string) {
    super(`Fernet key must be 32 bytes in url-safe base64 with padding (44 characters): ${detail}`);
    this.name = 'InvalidKeyError';
  }
}

/** A parsed key, ready for WebCrypto. Obtain it with {@link importKey}. */
export interface FernetKey {
  readonly signing: CryptoKey;
  readonly encryption: CryptoKey;
}

/** A key as text (what ENCRYPTION_KEY holds) or already imported. */
export type KeyInput = string | FernetKey;

/** Options for {@link encrypt}. */
export interface EncryptOptions {
  /** Clock for the token timestamp, in ms since the epoch. Default: Date.now(). */
  nowMs?: number;
  /** Fixed 16-byte IV, for test vectors only. Default: 16 bytes from the CSPRNG. */
  iv?: Uint8Array;
}

/** Options for {@link decrypt}. */
export interface DecryptOptions {
  /** Maximum token age in seconds. Default: no age limit. */
  ttlSec?: number;
  /** Clock for the TTL and clock-skew checks, in ms since the epoch. Default: Date.now(). */
  nowMs?: number;
}

/**
 * Checks and decodes a key: 44 characters of url-safe base64 decoding to 32 bytes.
 * @throws InvalidKeyError with a message that says what is wrong, without echoing the key.
 */
export function parseKey(secret: string): Uint8Array<ArrayBuffer> {
  if (typeof secret !== 'string') throw new InvalidKeyError(`expected a string, got ${typeof secret}`);
  const text = secret.trim();
  if (text.length !== 44) throw new InvalidKeyError(`got ${text.length} characters`);
  const raw = decodeBase64Url(text);
  if (!raw) throw new InvalidKeyError('not valid url-safe base64 (standard "+" or "/" are not allowed)');
  if (raw.length !== 32) throw new InvalidKeyError(`decodes to ${raw.length} bytes`);
  return raw;
}

/** Parses a key and imports its halves: bytes 0–15 sign (HMAC-SHA256), bytes 16–31 encrypt (AES-128-CBC). */
export async function importKey(secret: string): Promise<FernetKey> {
  const raw = parseKey(secret);
  const signing = await crypto.subtle.importKey(
    'raw',
    raw.slice(0, 16),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
  const encryption = await crypto.subtle.importKey('raw', raw.slice(16, 32), { name: 'AES-CBC' }, false, [
    'encrypt',
    'decrypt',
  ]);
  return { signing, encryption };
}

/** Returns a new random key as 44 characters of url-safe base64. */
export function generateKey(): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * Encrypts bytes into a Fernet token. With several keys, the first one is used.
 * @throws RangeError when the plaintext exceeds {@link MAX_PLAINTEXT_BYTES} or the IV is not 16 bytes.
 */
export async function encrypt(
  key: KeyInput | readonly KeyInput[],
  data: Uint8Array,
  options: EncryptOptions = {},
): Promise<string> {
  if (data.length > MAX_PLAINTEXT_BYTES) {
    throw new RangeError(
      `Fernet plaintext of ${data.length} bytes exceeds the ${MAX_PLAINTEXT_BYTES}-byte cap`,
    );
  }
  const first = Array.isArray(key) ? key[0] : key;
  if (first === undefined) throw new InvalidKeyError('no key given');
  const k = await toKey(first as KeyInput);
  const iv = options.iv ? new Uint8Array(options.iv) : crypto.getRandomValues(new Uint8Array(16));
  if (iv.length !== 16) throw new RangeError(`Fernet IV must be 16 bytes, got ${iv.length}`);
  const seconds = Math.floor((options.nowMs ?? Date.now()) / 1000);

  const cipher = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-CBC', iv }, k.encryption, new Uint8Array(data)),
  );
  const token = new Uint8Array(HEADER + cipher.length + MAC);
  token[0] = VERSION;
  new DataView(token.buffer).setBigUint64(1, BigInt(seconds));
  token.set(iv, 9);
  token.set(cipher, HEADER);
  const signed = token.subarray(0, HEADER + cipher.length);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', k.signing, signed));
  token.set(mac, HEADER + cipher.length);
  return encodeBase64Url(token);
}

/**
 * Decrypts a Fernet token (text, or its ASCII bytes as read from a file) with any of the given keys.
 * Order of checks: strict decode, length, version, TTL, clock skew (60 s, always), HMAC in constant time
 * (crypto.subtle.verify), then AES-CBC decryption and PKCS#7 unpadding.
 * @throws InvalidToken for any problem with the token; InvalidKeyError for a malformed key.
 */
export async function decrypt(
  keys: KeyInput | readonly KeyInput[],
  token: string | Uint8Array,
  options: DecryptOptions = {},
): Promise<Uint8Array> {
  const list = (Array.isArray(keys) ? keys : [keys]) as readonly KeyInput[];
  if (list.length === 0) throw new InvalidKeyError('no key given');
  const imported = await Promise.all(list.map(toKey));

  if (token.length > MAX_TOKEN_CHARS) throw new InvalidToken();
  const bytes = decodeBase64Url(token);
  if (!bytes || bytes.length < HEADER + BLOCK + MAC || (bytes.length - HEADER - MAC) % BLOCK !== 0) {
    throw new InvalidToken();
  }
  if (bytes[0] !== VERSION) throw new InvalidToken();

  const issued = Number(new DataView(bytes.buffer).getBigUint64(1));
  const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
  if (options.ttlSec !== undefined && issued + options.ttlSec < now) throw new InvalidToken();
  if (now + MAX_CLOCK_SKEW_SEC < issued) throw new InvalidToken();

  const signed = bytes.subarray(0, bytes.length - MAC);
  const mac = bytes.subarray(bytes.length - MAC);
  const iv = bytes.subarray(9, HEADER);
  const cipher = bytes.subarray(HEADER, bytes.length - MAC);
  for (const k of imported) {
    if (!(await crypto.subtle.verify('HMAC', k.signing, mac, signed))) continue;
    try {
      return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv }, k.encryption, cipher));
    } catch {
      // Bad padding under a key whose MAC matched: try the remaining keys, as MultiFernet does.
    }
  }
  throw new InvalidToken();
}

function toKey(key: KeyInput): Promise<FernetKey> {
  return typeof key === 'string' ? importKey(key) : Promise.resolve(key);
}
