/**
 * hmac-auth's public types: the macro option, what a signed route's handler receives, and the
 * quarantine hook another plugin (storage, through agent-memory) plugs in.
 */
import type { RejectReason } from './verify.ts';

/**
 * Which body limit a signed route enforces. `post-call` (what `true` means) reads up to the largest
 * of the four limits, then applies the limit of the event's `type` once the verified JSON is parsed.
 */
export type LimitKind = 'post-call' | 'default' | 'transcription' | 'audio' | 'failure';

/** The macro's value: `{ elevenlabsSignature: true }` or `{ elevenlabsSignature: { limit: 'audio' } }`. */
export type SignatureOption = boolean | { limit?: LimitKind };

/** What a signed route's handler gets as `signed`. */
export interface SignedWebhook {
  /** The body exactly as received and verified. */
  raw: Uint8Array;
  /** The parsed JSON (also the route's `body`). */
  json: unknown;
  /** The signed timestamp, unix seconds. */
  timestamp: number;
  /** Seconds between the signed timestamp and now. */
  ageSeconds: number;
  /** The quarantine id of this body, when a quarantine hook holds it. */
  quarantineId: string | null;
}

/** Why a body was or was not accepted, as told to the quarantine hook. */
export type Outcome = 'accepted' | RejectReason | 'invalid_json' | 'too_large';

/** What the quarantine hook learns about a body it is asked to hold. */
export interface QuarantineMeta {
  requestId: string;
  clientIp: string;
  /** Unix milliseconds. */
  receivedAt: number;
  /** The request path. */
  path: string;
}

/**
 * Keeps unverified bodies (SEC-6): `hold` is called with the raw bytes before the signature is
 * checked, `release` once the outcome is known. `hold` may return null to keep nothing. Errors of
 * either are logged and reported as `quarantine.failure`; the request goes on (NFR-1.2).
 */
export interface QuarantineHook {
  hold(raw: Uint8Array, meta: QuarantineMeta): Promise<string | null>;
  release(id: string, outcome: { accepted: boolean; outcome: Outcome }): Promise<void>;
}
