/**
 * Reading a verified post-call webhook: its envelope (type, time, conversation, agent), the
 * caller's user id by the priority of FR-1.9 (and which source gave it, FR-7.2), and the
 * deduplication key of the exact bytes.
 */

/** The three event types of FR-1.14. Others are acknowledged and only recorded. */
export const EVENT_TYPES = ['post_call_transcription', 'post_call_audio', 'call_initiation_failure'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

type Json = Record<string, any>;

/** Shared: decode() without `stream` keeps no state between calls. */
const utf8 = new TextDecoder();

/** The fields of a post-call webhook that routing, storage and delivery need. */
export interface Envelope {
  type: string;
  /** Unix seconds, when present. */
  eventTimestamp?: number;
  conversationId: string;
  agentId?: string;
  data: Json;
}

/** A post-call body that is JSON but not a webhook we can file (maps to 400). */
export class InvalidPayloadError extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'InvalidPayloadError';
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * Parses the raw bytes (already verified) into an envelope, or throws {@link InvalidPayloadError}.
 * `{ parsed }` is a body already parsed from those bytes (hmac-auth's), so a request parses once.
 */
export function parseEnvelope(raw: Uint8Array | string | { parsed: unknown }): Envelope {
  let parsed: unknown;
  if (typeof raw === 'object' && !(raw instanceof Uint8Array)) parsed = raw.parsed;
  else {
    try {
      parsed = JSON.parse(typeof raw === 'string' ? raw : utf8.decode(raw));
    } catch {
      throw new InvalidPayloadError('Invalid JSON payload');
    }
  }
  if (!isObject(parsed)) throw new InvalidPayloadError('Invalid JSON payload');
  const type = nonEmpty(parsed.type);
  if (!type) throw new InvalidPayloadError('Missing type');
  if (!isObject(parsed.data)) throw new InvalidPayloadError('Missing data');
  const conversationId = nonEmpty(parsed.data.conversation_id);
  if (!conversationId) throw new InvalidPayloadError('Missing conversation_id');
  const ts = parsed.event_timestamp;
  const eventTimestamp = typeof ts === 'number' ? ts : typeof ts === 'string' ? toUnixSeconds(ts) : undefined;
  return { type, eventTimestamp, conversationId, agentId: nonEmpty(parsed.data.agent_id), data: parsed.data };
}

function toUnixSeconds(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.floor(at / 1000);
}

/** A user id and where it was found. */
export interface UserIdentity {
  userId: string;
  /** A dotted path inside `data`, e.g. `conversation_initiation_client_data.dynamic_variables.system__caller_id`. */
  source: string;
}

/** What carriers and Twilio send instead of a number when the caller withholds it. */
const WITHHELD = new Set(['', '+', 'anonymous', 'unknown', 'restricted', 'private', 'unavailable']);

/**
 * Whether a caller id is a placeholder for a withheld number ("anonymous", "Restricted", "+", …):
 * used as a memory key, every withheld caller would share one memory.
 */
export function isWithheldCallerId(value: string): boolean {
  return WITHHELD.has(value.trim().toLowerCase());
}

/**
 * The caller's user id (FR-1.9, FR-7): `system__caller_id` first (the same for every call from one
 * phone), then the explicit user ids, then `metadata.caller_id`, then the Twilio/SIP external
 * number, and the conversation id when nothing else is there. Withheld placeholders are skipped,
 * so an anonymous caller's memory is their conversation's alone.
 */
export function extractUserId(data: Json): UserIdentity {
  const clientData = isObject(data.conversation_initiation_client_data)
    ? data.conversation_initiation_client_data
    : {};
  const variables = isObject(clientData.dynamic_variables) ? clientData.dynamic_variables : {};
  const metadata = isObject(data.metadata) ? data.metadata : {};
  const phoneCall = isObject(metadata.phone_call) ? metadata.phone_call : {};
  const candidates: Array<[string, unknown]> = [
    ['conversation_initiation_client_data.dynamic_variables.system__caller_id', variables.system__caller_id],
    ['conversation_initiation_client_data.user_id', clientData.user_id],
    ['metadata.user_id', metadata.user_id],
    ['conversation_initiation_client_data.dynamic_variables.user_id', variables.user_id],
    ['metadata.caller_id', metadata.caller_id],
    ['metadata.phone_call.external_number', phoneCall.external_number],
  ];
  for (const [source, value] of candidates) {
    const userId = nonEmpty(value);
    if (userId && !isWithheldCallerId(userId)) return { userId, source };
  }
  return { userId: String(data.conversation_id), source: 'conversation_id' };
}

/** sha256 hex of bytes. */
export async function sha256Hex(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const digest = await crypto.subtle.digest('SHA-256', data as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The key that makes a redelivery a no-op: the body's hash with the type and conversation id, so a
 * byte-identical retry (ElevenLabs resends the same bytes) is stored once.
 */
export async function dedupKey(raw: Uint8Array, envelope: Envelope): Promise<string> {
  return sha256Hex(`${envelope.type}\n${envelope.conversationId}\n${await sha256Hex(raw)}`);
}

/** The payload kept in the event store: audio events without their base64 MP3 (storage has it). */
export function storablePayload(raw: Uint8Array, envelope: Envelope): string {
  if (envelope.type !== 'post_call_audio') return utf8.decode(raw);
  const { full_audio: audio, ...rest } = envelope.data;
  const bytes =
    typeof audio === 'string'
      ? Math.floor((audio.length * 3) / 4) - (audio.match(/=+$/)?.[0].length ?? 0)
      : 0;
  return JSON.stringify({
    type: envelope.type,
    event_timestamp: envelope.eventTimestamp,
    data: { ...rest, full_audio_omitted_bytes: bytes },
  });
}
