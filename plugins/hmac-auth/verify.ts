/**
 * Verifier for ElevenLabs post-call webhook signatures
 * (`ElevenLabs-Signature: t=<unix>,v0=<hex hmac_sha256(secret, "<t>.<raw body>")>`).
 *
 * Runtime-agnostic (WebCrypto only). Never parses the body; never throws on hostile input.
 * Where and why this differs from the official SDK: docs/security.md.
 */

import { parseSignatureHeader } from './header.ts';
import { constantTimeEqual, hmacSha256, importHmacKey, signedMessage, toHex } from './hmac.ts';

/** Why a request was refused. Every reason maps to HTTP 401. */
export type RejectReason = 'missing' | 'format' | 'too_old' | 'too_new' | 'mismatch';

/** The `detail` text for each reason, as the API returns it (API-3.5, plus `too_new`). */
export const REJECT_DETAILS = {
  missing: 'Missing signature header',
  format: 'Invalid signature format',
  too_old: 'Timestamp too old',
  too_new: 'Timestamp too far in the future',
  mismatch: 'Invalid signature',
} as const satisfies Record<RejectReason, string>;

/** An accepted signature. */
export interface Accepted {
  ok: true;
  /** The signed timestamp, unix seconds. */
  timestamp: number;
  /** `now - timestamp` in seconds (fractional; negative when the sender's clock is slightly ahead). */
  ageSeconds: number;
  /** Index in `secrets` of the first secret that matched (tells when an old secret is no longer used). */
  secretIndex: number;
}

/** A refused signature. */
export interface Rejected {
  ok: false;
  reason: RejectReason;
  detail: (typeof REJECT_DETAILS)[RejectReason];
  /** `now - timestamp` in seconds, when the header was well-formed (for the log line). */
  ageSeconds?: number;
}

/** Result of {@link Verifier}. */
export type Verdict = Accepted | Rejected;

/** Checks a signature header against the raw body at a given time (`nowMs`, unix milliseconds). */
export type Verifier = ((header: string | null, raw: Uint8Array, nowMs: number) => Promise<Verdict>) & {
  /**
   * The checks that need no body and no HMAC (header present, well-formed, timestamp window):
   * the refusal, or null when the request is worth reading and quarantining.
   */
  screen(header: string | null, nowMs: number): Rejected | null;
};

/** Options of {@link createVerifier}. */
export interface VerifierOptions {
  /** Accepted secrets (UTF-8 strings). Several during a rotation; any one passing is enough. */
  secrets: string[];
  /** Oldest accepted timestamp, in seconds before now. Default 1800 (30 min, FR-1.4). */
  toleranceSeconds?: number;
  /** Newest accepted timestamp, in seconds after now. Default 300. */
  futureToleranceSeconds?: number;
}

function reject(reason: RejectReason, ageSeconds?: number): Rejected {
  const rejected: Rejected = { ok: false, reason, detail: REJECT_DETAILS[reason] };
  if (ageSeconds !== undefined) rejected.ageSeconds = ageSeconds;
  return rejected;
}

function checkSeconds(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new TypeError(`hmac-auth: ${name} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

function checkSecrets(secrets: unknown): string[] {
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new TypeError('hmac-auth: secrets must be a non-empty array of strings');
  }
  secrets.forEach((secret, i) => {
    if (typeof secret !== 'string' || secret.length === 0) {
      throw new TypeError(`hmac-auth: secrets[${i}] must be a non-empty string`);
    }
    if (secret.trim() !== secret) {
      throw new TypeError(`hmac-auth: secrets[${i}] has leading or trailing whitespace`);
    }
  });
  return [...secrets];
}

/**
 * Builds a verifier. Options are checked here (a bad option throws a TypeError naming it) and the
 * HMAC keys are imported once, here; each call then costs one HMAC per secret.
 *
 * Order of checks: header present → header well-formed → timestamp window → signature.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const secrets = checkSecrets(options.secrets);
  const toleranceMs = checkSeconds('toleranceSeconds', options.toleranceSeconds ?? 1800) * 1000;
  const futureMs = checkSeconds('futureToleranceSeconds', options.futureToleranceSeconds ?? 300) * 1000;
  const keys = Promise.all(secrets.map(importHmacKey));
  // A failed import (not expected for non-empty secrets) must not be an unhandled rejection at
  // construction; `await keys` in verify() still rethrows it, as an internal error, not a 401.
  keys.catch(() => {});

  function screen(header: string | null, nowMs: number): Rejected | null {
    if (header === null || header.trim() === '') return reject('missing');
    const parsed = parseSignatureHeader(header);
    if (!parsed) return reject('format');
    const signedMs = parsed.timestamp * 1000;
    const age = (nowMs - signedMs) / 1000;
    if (signedMs < nowMs - toleranceMs) return reject('too_old', age);
    if (signedMs > nowMs + futureMs) return reject('too_new', age);
    return null;
  }

  async function verify(header: string | null, raw: Uint8Array, nowMs: number): Promise<Verdict> {
    const refused = screen(header, nowMs);
    if (refused) return refused;
    const parsed = parseSignatureHeader(header!)!;
    const signedMs = parsed.timestamp * 1000;

    const imported = await keys;
    const message = signedMessage(parsed.timestampText, raw);
    let secretIndex = -1;
    for (let i = 0; i < imported.length; i++) {
      const expected = await hmacSha256(imported[i], message);
      for (const digest of parsed.digests) {
        if (constantTimeEqual(expected, digest) && secretIndex < 0) secretIndex = i;
      }
    }
    if (secretIndex < 0) return reject('mismatch', (nowMs - signedMs) / 1000);
    return { ok: true, timestamp: parsed.timestamp, ageSeconds: (nowMs - signedMs) / 1000, secretIndex };
  }

  return Object.assign(verify, { screen });
}

/**
 * Signs a raw body the way ElevenLabs does and returns the header value
 * `t=<timestampSec>,v0=<lower-case hex>`. For tests, the CLI `send` command and benchmarks.
 */
export async function sign(secret: string, raw: Uint8Array, timestampSec: number): Promise<string> {
  if (!Number.isSafeInteger(timestampSec) || timestampSec < 0) {
    throw new TypeError(
      `hmac-auth: timestampSec must be a non-negative integer, got ${String(timestampSec)}`,
    );
  }
  const timestampText = String(timestampSec);
  const key = await importHmacKey(secret);
  const digest = await hmacSha256(key, signedMessage(timestampText, raw));
  return `t=${timestampText},v0=${toHex(digest)}`;
}
