/**
 * The shapes the client-data (API-4.4) and search-data (API-5) webhooks answer with, built from
 * what was read. Pure functions, so every branch is tested without a server.
 */
import { clip, USER_CONTEXT_MAX } from './greeting.ts';
import type { MemoryItem } from './memory.ts';
import { isWithheldCallerId } from './payload.ts';
import type { AgentProfile } from './profile.ts';

export interface ClientDataBody {
  caller_id?: string;
  agent_id?: string;
  called_number?: string;
  call_sid?: string;
}

/** A client-data body as it may arrive: ids as strings, numbers or null. */
export interface ClientDataInput {
  caller_id?: unknown;
  agent_id?: unknown;
  called_number?: unknown;
  call_sid?: unknown;
}

/**
 * Reads a client-data body (API-4.3, INT-4.2); null without an agent id (400 `Missing agent_id`).
 * Numbers become strings; null and blanks are absent, so a call is never refused for a field
 * Twilio or a dynamic variable left empty.
 */
export function clientDataRequest(body: ClientDataInput): (ClientDataBody & { agent_id: string }) | null {
  const agentId = text(body.agent_id);
  if (!agentId) return null;
  return {
    agent_id: agentId,
    caller_id: text(body.caller_id),
    called_number: text(body.called_number),
    call_sid: text(body.call_sid),
  };
}

export interface ClientDataResponse {
  type: 'conversation_initiation_client_data';
  dynamic_variables: Record<string, string | number | boolean>;
  conversation_config_override?: {
    agent?: { first_message?: string; language?: string; prompt?: { prompt: string } };
    tts?: { voice_id: string };
  };
}

/** What we know about the caller at call start. */
export interface CallerContext {
  summary: string;
  /** The stored next greeting; absent when only a summary is known (another agent, backend). */
  greeting?: string;
}

/**
 * The response. Dynamic variables always carry the Twilio fields, `user_context` (≤ 500 chars,
 * empty for a new caller) and the agent's own placeholders (ElevenLabs wants every variable the
 * agent defines). The only override is `first_message`, and only for a known caller of an agent
 * that allows it (per its profile, or because the operator says so: `firstMessageOverride`): fields we would merely echo from a cached profile are omitted, so the agent's
 * live settings apply and a stale cache never overrides a fresh edit.
 */
export function clientDataResponse(
  body: ClientDataBody,
  profile: AgentProfile | null,
  caller: CallerContext | null,
  firstMessageOverride: 'auto' | 'always' | 'never' = 'auto',
): ClientDataResponse {
  const response: ClientDataResponse = {
    type: 'conversation_initiation_client_data',
    dynamic_variables: {
      ...(profile?.placeholders ?? {}),
      caller_id: body.caller_id ?? '',
      called_number: body.called_number ?? '',
      call_sid: body.call_sid ?? '',
      user_context: caller ? clip(caller.summary, USER_CONTEXT_MAX) : '',
    },
  };
  const allowed =
    firstMessageOverride === 'always' ||
    (firstMessageOverride === 'auto' && profile?.allow.firstMessage === true);
  if (caller?.greeting && allowed) {
    response.conversation_config_override = { agent: { first_message: caller.greeting } };
  }
  return response;
}

export interface SearchBody {
  query?: unknown;
  search_query?: unknown;
  user_id?: unknown;
  caller_id?: unknown;
  limit?: unknown;
}

export interface SearchRequest {
  query: string;
  userId: string;
  limit: number;
}

/** Highest `limit` a search may ask for. */
export const MAX_SEARCH_LIMIT = 50;
/** `limit` when none is given (FR-3.3), or null, blank or not a number. */
export const DEFAULT_SEARCH_LIMIT = 5;

function text(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Reads a search body (API-5.3); null when there is no query (400). */
export function searchRequest(body: SearchBody): SearchRequest | null {
  const query = text(body.query) ?? text(body.search_query);
  if (!query) return null;
  const asked = text(body.user_id) ?? text(body.caller_id);
  // A withheld caller has no memories of their own: never search a shared "anonymous" bucket.
  const userId = asked && !isWithheldCallerId(asked) ? asked : 'unknown';
  // Number("") is 0: a blank limit is no limit, not a limit of one.
  const limitAsked = typeof body.limit === 'string' ? Number(text(body.limit) ?? Number.NaN) : body.limit;
  const limit =
    typeof limitAsked === 'number' && Number.isFinite(limitAsked)
      ? Math.min(MAX_SEARCH_LIMIT, Math.max(1, Math.trunc(limitAsked)))
      : DEFAULT_SEARCH_LIMIT;
  return { query, userId, limit };
}

export interface SearchResponse {
  status: 'success';
  memories_found: number;
  context: string;
  memories: Array<{ id: string; content: string; metadata: Record<string, unknown> }>;
}

/** API-5.4 / API-5.5. */
export function searchResponse(items: MemoryItem[]): SearchResponse {
  const memories = items.map((item) => ({
    id: item.id,
    content: item.text,
    metadata: {
      ...(item.metadata ?? {}),
      ...(item.createdAt ? { created_at: item.createdAt } : {}),
      ...(item.score !== undefined ? { score: item.score } : {}),
    },
  }));
  return {
    status: 'success',
    memories_found: memories.length,
    context: memories.length ? memories.map((m) => m.content).join('\n\n') : 'No relevant memories found.',
    memories,
  };
}
