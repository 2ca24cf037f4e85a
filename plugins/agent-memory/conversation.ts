/**
 * What goes into memory from a `post_call_transcription`: the turns as readable text,
 * ElevenLabs' own `transcript_summary`, the data-collection results as one-line facts, and the
 * DS-1.3 metadata. Never the whole webhook as one JSON string (backends truncate or merge it).
 */
import type { ConversationRecord, Turn } from './memory.ts';
import type { Envelope } from './payload.ts';

type Json = Record<string, any>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** The turns with a message, in order (tool-only turns carry no text). */
export function turnsOf(data: Json): Turn[] {
  const transcript = Array.isArray(data.transcript) ? data.transcript : [];
  const turns: Turn[] = [];
  for (const item of transcript) {
    if (!isObject(item)) continue;
    const message = text(item.message);
    if (!message) continue;
    const role = item.role === 'user' ? 'user' : 'agent';
    const secs = typeof item.time_in_call_secs === 'number' ? item.time_in_call_secs : undefined;
    turns.push({ role, text: message, timeInCallSecs: secs });
  }
  return turns;
}

/** `Caller: …` / `Agent: …` lines, for logs, files and LLM prompts. */
export function transcriptText(turns: Turn[]): string {
  return turns.map((t) => `${t.role === 'user' ? 'Caller' : 'Agent'}: ${t.text}`).join('\n');
}

/** Data-collection results as facts: `name: Ann`, skipping empty values. */
export function factsOf(data: Json): string[] {
  const results = isObject(data.analysis?.data_collection_results)
    ? data.analysis.data_collection_results
    : {};
  const facts: string[] = [];
  for (const [key, entry] of Object.entries(results)) {
    const value = isObject(entry) ? entry.value : entry;
    const shown =
      text(value) ?? (isObject(value) || Array.isArray(value) ? JSON.stringify(value) : undefined);
    if (shown) facts.push(`${key}: ${shown}`);
  }
  return facts;
}

/** The call's end as ISO text: start + duration, else the event time, else `fallbackMs`. */
export function endedAtOf(envelope: Envelope, fallbackMs: number): string {
  const meta = isObject(envelope.data.metadata) ? envelope.data.metadata : {};
  const start = meta.start_time_unix_secs;
  if (typeof start === 'number') {
    const duration = typeof meta.call_duration_secs === 'number' ? meta.call_duration_secs : 0;
    return new Date((start + duration) * 1000).toISOString();
  }
  if (envelope.eventTimestamp !== undefined) return new Date(envelope.eventTimestamp * 1000).toISOString();
  return new Date(fallbackMs).toISOString();
}

/** The record handed to `MemoryBackend.storeConversation`. */
export function conversationRecord(
  envelope: Envelope,
  userIdSource: string,
  nowMs: number,
): ConversationRecord {
  const data = envelope.data;
  const analysis = isObject(data.analysis) ? data.analysis : {};
  const meta = isObject(data.metadata) ? data.metadata : {};
  const metadata: Record<string, unknown> = {
    conversation_id: envelope.conversationId,
    agent_id: envelope.agentId,
    event_type: envelope.type,
    event_timestamp: envelope.eventTimestamp,
    user_id_source: userIdSource,
    call_successful: text(analysis.call_successful),
    call_summary_title: text(analysis.call_summary_title),
    call_duration_secs: typeof meta.call_duration_secs === 'number' ? meta.call_duration_secs : undefined,
  };
  for (const key of Object.keys(metadata)) if (metadata[key] === undefined) delete metadata[key];
  return {
    conversationId: envelope.conversationId,
    endedAt: endedAtOf(envelope, nowMs),
    transcript: turnsOf(data),
    summary: text(analysis.transcript_summary),
    facts: factsOf(data),
    metadata,
  };
}
