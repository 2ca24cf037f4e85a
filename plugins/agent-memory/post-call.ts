/**
 * `POST /webhooks/post-call` after the signature passed: commit the event (one synchronous
 * transaction) before anything else, file the payload (storage, audio pairing) without ever
 * failing the webhook, try the memory backend within a short budget, and answer 200 whenever the
 * event is safely stored: `received` with the memory id, or `queued` with the event id. 500 only
 * when nothing could be persisted.
 */
import type { Clock } from '../../src/clock.ts';
import type { Logger } from '../../src/log.ts';
import type { DeliveryWorker } from './delivery.ts';
import type { EventMeta, EventStore, Inserted } from './event-store.ts';
import type { Files } from './files.ts';
import { factsJson } from './greeting.ts';
import {
  dedupKey,
  type Envelope,
  EVENT_TYPES,
  type EventType,
  extractUserId,
  InvalidPayloadError,
  parseEnvelope,
  storablePayload,
} from './payload.ts';

export interface PostCallDeps {
  events: EventStore;
  worker: DeliveryWorker;
  files: Files;
  clock: Clock;
  logger: Logger;
  inlineBudgetMs: number;
  /** How the queued payload is kept in the database (storage's encryption at rest, when on). */
  seal(text: string): Promise<string>;
  /** Background profile refresh for the event's agent (FR-1.12). Never awaited. */
  refreshProfile(agentId: string): void;
  /** Background summary and greeting of the caller from the committed events. Never awaited. */
  refreshCaller?(row: EventMeta, envelope: Envelope): void;
  /** Counts a request that stored no file for storage's sweep trigger (storage.save counts itself). */
  noteRequest(): void;
}

export interface PostCallInput {
  raw: Uint8Array;
  /** The body already parsed from `raw` (hmac-auth parses it once); parsed here when absent. */
  json?: unknown;
  requestId?: string;
  quarantineId?: string | null;
}

export interface PostCallAnswer {
  status: number;
  body: Record<string, unknown>;
}

const STORE_FAILED: PostCallAnswer = { status: 500, body: { detail: 'Failed to store memory' } };

/**
 * Handles one verified post-call webhook. A request that stored no file (duplicate, unknown type,
 * audio waiting for its transcription, refused body) still counts toward storage's
 * CLEANUP_FREQUENCY_REQUESTS; one that saved a file was counted by storage.save.
 */
export async function handlePostCall(deps: PostCallDeps, input: PostCallInput): Promise<PostCallAnswer> {
  const filed = { saved: false };
  try {
    return await handle(deps, input, filed);
  } finally {
    if (!filed.saved) deps.noteRequest();
  }
}

async function handle(
  deps: PostCallDeps,
  input: PostCallInput,
  filed: { saved: boolean },
): Promise<PostCallAnswer> {
  const started = performance.now();
  let envelope: Envelope;
  try {
    envelope = parseEnvelope(input.json === undefined ? input.raw : { parsed: input.json });
  } catch (error) {
    if (!(error instanceof InvalidPayloadError)) throw error;
    // Signed but not a webhook we can file: nothing will promote its held copy, so it goes now
    // (left 'passed', it would sit in quarantine until the retention sweep).
    await deps.files.dropQuarantine(input.quarantineId);
    return { status: 400, body: { detail: error.detail } };
  }
  const known = (EVENT_TYPES as readonly string[]).includes(envelope.type);
  const identity = extractUserId(envelope.data);
  const log = deps.logger.child({
    webhook_type: envelope.type,
    conversation_id: envelope.conversationId,
    agent_id: envelope.agentId,
  });
  log.info({ user_id_source: identity.source }, 'post-call user id resolved');

  let inserted: Inserted;
  const now = deps.clock.now();
  try {
    inserted = deps.events.insert(
      {
        dedupKey: await dedupKey(input.raw, envelope),
        type: envelope.type,
        conversationId: envelope.conversationId,
        userId: identity.userId,
        userIdSource: identity.source,
        agentId: envelope.agentId,
        eventTimestamp: envelope.eventTimestamp,
        payload: await deps.seal(storablePayload(input.raw, envelope)),
        facts: envelope.type === 'post_call_transcription' ? factsJson(envelope.data) : null,
        status: envelope.type === 'post_call_transcription' ? 'pending' : 'skipped',
        // This request delivers it within its budget; the worker takes over if the process dies.
        firstAttemptAt: now + Math.max(0, deps.inlineBudgetMs),
      },
      now,
    );
  } catch (error) {
    log.error({ err: error }, 'post-call event could not be persisted');
    return STORE_FAILED;
  }
  const { row, duplicate } = inserted;
  if (duplicate) {
    log.info({ event_id: row.id, status: row.status }, 'post-call redelivery; already stored');
    await deps.files.dropQuarantine(input.quarantineId);
    return answerFor(row.status, row.id, row.memory_id);
  }
  if (!known) {
    log.warn({ event_id: row.id }, 'unknown post-call webhook type; recorded, not processed');
    await deps.files.dropQuarantine(input.quarantineId);
    return { status: 200, body: { status: 'received', event_id: row.id } };
  }

  filed.saved = await deps.files.file(envelope as Envelope & { type: EventType }, input, identity);
  if (envelope.agentId && envelope.type === 'post_call_transcription') deps.refreshProfile(envelope.agentId);
  if (envelope.type !== 'post_call_transcription') {
    log.info({ event_id: row.id, ms: Math.round(performance.now() - started) }, 'post-call event filed');
    return { status: 200, body: { status: 'received', event_id: row.id } };
  }

  const outcome = await deliverWithin(deps, row.id, envelope);
  log.info(
    { event_id: row.id, result: outcome.status, ms: Math.round(performance.now() - started) },
    'post-call processed',
  );
  if (outcome.status === 'delivered') return answerFor('delivered', row.id, outcome.memoryId);
  // Not in the backend yet (down, slow, or refusing it): the caller's greeting still counts this call.
  deps.refreshCaller?.(row, envelope);
  return answerFor(outcome.status === 'dead' ? 'dead' : 'pending', row.id, null);
}

type Outcome =
  | { status: 'delivered'; memoryId: string | null }
  | { status: 'queued' | 'dead' | 'timeout' | 'busy' };

/** Tries the backend for at most `inlineBudgetMs`; the delivery goes on in the background after. */
async function deliverWithin(deps: PostCallDeps, eventId: string, envelope: Envelope): Promise<Outcome> {
  if (deps.inlineBudgetMs <= 0) return { status: 'timeout' };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'timeout' }), deps.inlineBudgetMs);
  });
  const attempt = deps.worker.deliverNow(eventId, envelope).catch((error): Outcome => {
    deps.logger.error({ err: error, event_id: eventId }, 'inline delivery failed');
    return { status: 'queued' };
  });
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function answerFor(status: string, eventId: string, memoryId: string | null): PostCallAnswer {
  if (status === 'delivered')
    return { status: 200, body: { status: 'received', memory_id: memoryId ?? eventId } };
  if (status === 'skipped') return { status: 200, body: { status: 'received', event_id: eventId } };
  // Persisted but refused by the backend for good: still 200, or ElevenLabs would retry and disable us.
  if (status === 'dead') return { status: 200, body: { status: 'dead_letter', event_id: eventId } };
  return { status: 200, body: { status: 'queued', event_id: eventId } };
}
