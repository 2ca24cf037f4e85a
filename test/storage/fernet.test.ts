import { describe, expect, it } from 'bun:test';
import { readFile } from 'node:fs/promises';
import {
  decrypt,
  encrypt,
  generateKey,
  InvalidKeyError,
  InvalidToken,
  importKey,
  MAX_PLAINTEXT_BYTES,
  parseKey,
} from '../../plugins/storage/fernet.ts';
import { sameBytes } from './bytes.ts';

interface Vector {
  desc?: string;
  token: string;
  now: string;
  iv?: number[];
  src?: string;
  ttl_sec?: number;
  secret: string;
}

// The specification's vectors (fernet/spec: generate.json, verify.json, invalid.json), copied from shared/vectors/fernet.
const VECTORS = new URL('./fixtures/fernet/', import.meta.url);

async function vectors(name: string): Promise<Vector[]> {
  return JSON.parse(await readFile(new URL(name, VECTORS), 'utf8')) as Vector[];
}

const text = new TextEncoder();
const utf8 = new TextDecoder();
const KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
const NOW = Date.parse('2024-01-01T00:00:00Z');

async function rejects(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('fernet spec vectors', () => {
  it('generate.json: reproduces every token byte for byte', async () => {
    const cases = await vectors('generate.json');
    expect(cases.length).toBeGreaterThan(0);
    for (const v of cases) {
      const token = await encrypt(v.secret, text.encode(v.src ?? ''), {
        nowMs: Date.parse(v.now),
        iv: new Uint8Array(v.iv ?? []),
      });
      expect(token).toBe(v.token);
    }
  });

  it('verify.json: decrypts every token within its TTL', async () => {
    const cases = await vectors('verify.json');
    expect(cases.length).toBeGreaterThan(0);
    for (const v of cases) {
      const plain = await decrypt(v.secret, v.token, { ttlSec: v.ttl_sec, nowMs: Date.parse(v.now) });
      expect(utf8.decode(plain)).toBe(String(v.src));
    }
  });

  it('invalid.json: rejects every case with InvalidToken', async () => {
    const cases = await vectors('invalid.json');
    expect(cases.length).toBe(8);
    for (const v of cases) {
      const error = await rejects(
        decrypt(v.secret, v.token, { ttlSec: v.ttl_sec, nowMs: Date.parse(v.now) }),
      );
      expect({ desc: v.desc, isInvalidToken: error instanceof InvalidToken }).toEqual({
        desc: v.desc,
        isInvalidToken: true,
      });
    }
  });
});

describe('fernet round trips', () => {
  it('keeps all 256 byte values', async () => {
    const key = generateKey();
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const token = await encrypt(key, bytes);
    expect(await decrypt(key, token)).toEqual(bytes);
  });

  it('keeps an empty message', async () => {
    const key = generateKey();
    expect((await decrypt(key, await encrypt(key, new Uint8Array(0)))).length).toBe(0);
  });

  it('keeps a 4 MiB binary buffer, and decrypts from the token bytes as read from a file', async () => {
    const key = await importKey(generateKey());
    const big = new Uint8Array(4 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
    const token = await encrypt(key, big);
    expect(token.length).toBe(Math.ceil((57 + big.length + 16 - (big.length % 16)) / 3) * 4);
    const plain = await decrypt(key, text.encode(token));
    expect(plain.length).toBe(big.length);
    expect(sameBytes(plain, big)).toBe(true);
  });

  it('uses a fresh IV per token', async () => {
    const key = generateKey();
    const a = await encrypt(key, text.encode('same'), { nowMs: NOW });
    const b = await encrypt(key, text.encode('same'), { nowMs: NOW });
    expect(a).not.toBe(b);
  });

  it('tokens are strict url-safe base64 with padding and start with version 0x80', async () => {
    const token = await encrypt(generateKey(), new Uint8Array(5));
    expect(token).toMatch(/^gAAAAA[A-Za-z0-9_-]*={0,2}$/);
    expect(token.length % 4).toBe(0);
  });
});

describe('fernet rotation (several keys)', () => {
  it('encrypts with the first key and decrypts with any key', async () => {
    const oldKey = generateKey();
    const newKey = generateKey();
    const oldToken = await encrypt(oldKey, text.encode('old'));
    const newToken = await encrypt([newKey, oldKey], text.encode('new'));

    expect(utf8.decode(await decrypt([newKey, oldKey], oldToken))).toBe('old');
    expect(utf8.decode(await decrypt([newKey, oldKey], newToken))).toBe('new');
    expect(utf8.decode(await decrypt(newKey, newToken))).toBe('new');
    expect(await rejects(decrypt(oldKey, newToken))).toBeInstanceOf(InvalidToken);
  });

  it('rejects a token no key can open', async () => {
    const token = await encrypt(generateKey(), text.encode('x'));
    expect(await rejects(decrypt([generateKey(), generateKey()], token))).toBeInstanceOf(InvalidToken);
  });

  it('refuses an empty key list', async () => {
    expect(await rejects(encrypt([], new Uint8Array(1)))).toBeInstanceOf(InvalidKeyError);
    expect(await rejects(decrypt([], 'gAAA'))).toBeInstanceOf(InvalidKeyError);
  });
});

describe('fernet time checks', () => {
  it('honours the TTL with an injected clock', async () => {
    const token = await encrypt(KEY, text.encode('t'), { nowMs: NOW });
    expect(await decrypt(KEY, token, { ttlSec: 60, nowMs: NOW + 60_000 })).toEqual(text.encode('t'));
    expect(await rejects(decrypt(KEY, token, { ttlSec: 60, nowMs: NOW + 61_000 }))).toBeInstanceOf(
      InvalidToken,
    );
    expect(await decrypt(KEY, token, { nowMs: NOW + 10 * 365 * 86_400_000 })).toEqual(text.encode('t'));
  });

  it('allows 60 s of clock skew and no more, with or without a TTL', async () => {
    const token = await encrypt(KEY, text.encode('t'), { nowMs: NOW });
    expect(await decrypt(KEY, token, { nowMs: NOW - 60_000 })).toEqual(text.encode('t'));
    expect(await rejects(decrypt(KEY, token, { nowMs: NOW - 61_000 }))).toBeInstanceOf(InvalidToken);
    expect(await rejects(decrypt(KEY, token, { ttlSec: 3600, nowMs: NOW - 61_000 }))).toBeInstanceOf(
      InvalidToken,
    );
  });
});

describe('fernet malformed tokens', () => {
  it('rejects tampering, bad versions, bad lengths and non-strict base64 with InvalidToken', async () => {
    const token = await encrypt(KEY, text.encode('hello world'), { nowMs: NOW });
    const raw = Uint8Array.from(atob(token.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    const enc = (b: Uint8Array) =>
      btoa(String.fromCharCode(...b))
        .replace(/\+/g, '-')
        .replace(/\//g, '_');

    const flipped = (i: number) => {
      const b = raw.slice();
      b[i] ^= 1;
      return enc(b);
    };
    const bad = [
      '',
      'gAAAAA',
      token.slice(0, -4),
      token.replace(/=+$/, ''),
      token.replace(/-/g, '+').replace(/_/g, '/'),
      `${token}\n`,
      ` ${token}`,
      flipped(0),
      flipped(5),
      flipped(12),
      flipped(30),
      flipped(raw.length - 1),
      enc(raw.subarray(0, raw.length - 1)),
      enc(raw.subarray(0, 57)),
      enc(new Uint8Array([0x80, ...raw.subarray(1), 0])),
      'gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=A',
    ];
    // Non-canonical base64: the last character before "=" carries leftover bits.
    const last = token.replace(/=+$/, '');
    const padding = token.slice(last.length);
    if (padding.length > 0) {
      const tail = last.at(-1)!;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const next = alphabet[(alphabet.indexOf(tail) + 1) % 64];
      bad.push(last.slice(0, -1) + next + padding);
    }
    // A random IV can make a rewrite a no-op (a token with no '-' or '_'); only real changes count.
    for (const candidate of bad.filter((c) => c !== token)) {
      const error = await rejects(decrypt(KEY, candidate, { nowMs: NOW }));
      expect({ candidate, invalid: error instanceof InvalidToken }).toEqual({ candidate, invalid: true });
    }
    expect(utf8.decode(await decrypt(KEY, token, { nowMs: NOW }))).toBe('hello world');
  });
});

describe('fernet keys', () => {
  it('generates 44-character keys that parse to 32 bytes', () => {
    const key = generateKey();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(parseKey(key).length).toBe(32);
    expect(generateKey()).not.toBe(key);
  });

  it('says what is wrong with a bad key without echoing it', () => {
    const secretish = 'not-a-real-key-but-secret';
    const cases = [
      secretish,
      KEY.slice(0, 43),
      `${KEY}A`,
      KEY.replace(/-/g, '+').replace(/_/g, '/'),
      'A'.repeat(44),
      '',
    ];
    for (const c of cases) {
      let error: unknown;
      try {
        parseKey(c);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidKeyError);
      expect((error as Error).message).toContain('Fernet key must be 32 bytes');
      if (c.length > 0) expect((error as Error).message).not.toContain(c);
    }
  });

  it('accepts surrounding whitespace from an env file', () => {
    expect(parseKey(` ${KEY}\n`)).toEqual(parseKey(KEY));
  });
});

describe('fernet size cap', () => {
  it('refuses plaintexts above the cap before doing any work', async () => {
    const tooBig = new Uint8Array(MAX_PLAINTEXT_BYTES + 1);
    expect(await rejects(encrypt(KEY, tooBig))).toBeInstanceOf(RangeError);
  });

  it('refuses oversized tokens before decoding them', async () => {
    const huge = 'A'.repeat(Math.ceil((MAX_PLAINTEXT_BYTES + 200) / 3) * 4);
    expect(await rejects(decrypt(KEY, huge))).toBeInstanceOf(InvalidToken);
  });
});
