/**
 * The fault run's verdict. For every post-call answered 200: its conversation is either delivered
 * exactly once (every piece the openmemory backend makes of it, keyed by kind and seq, is in the
 * fake's store exactly once, and its event row says delivered) or dead-lettered with a reason
 * (status 'dead', last_error set). Anything else is lost. A piece stored twice is a duplicate,
 * whichever conversation it belongs to.
 */
import { DatabaseSync } from 'node:sqlite';
import { conversationRecord } from '../../plugins/agent-memory/conversation.ts';
import { parseEnvelope } from '../../plugins/agent-memory/payload.ts';
import { conversationPieces, pieceKey } from '../../plugins/memory/chunks.ts';
import { TAG_CHARS } from '../../plugins/memory/tags.ts';
import type { OmMemory } from '../../test/fakes/openmemory-store.ts';

export interface Verdict {
  acknowledged: number;
  delivered: number;
  deadLettered: number;
  lost: number;
  duplicates: number;
  /** Conversations stored partly (some pieces missing) although their event says delivered. */
  incomplete: number;
  /** Up to 20 examples of what was lost, with the reason. */
  lostExamples: { conversation_id: string; why: string }[];
  /** Up to 20 pieces stored more than once: conversation, piece key, copies. */
  duplicateExamples: { conversation_id: string; piece: string; copies: number }[];
  /** Event rows by status at the end. */
  statuses: Record<string, number>;
}

interface Row {
  conversation_id: string;
  status: string;
  last_error: string | null;
  user_id_source: string;
  received_at: number;
  /** Null when the event lost its payload. */
  payload: string | null;
}

/** Pieces in the fake's store per conversation: piece key → how many copies. */
function storedPieces(memories: Iterable<OmMemory>): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const memory of memories) {
    const meta = memory.metadata ?? {};
    if (typeof meta.conversation_id !== 'string') continue; // caller summaries carry none
    const pieces = out.get(meta.conversation_id) ?? new Map<string, number>();
    const key = pieceKey(String(meta.kind), Number(meta.seq));
    pieces.set(key, (pieces.get(key) ?? 0) + 1);
    out.set(meta.conversation_id, pieces);
  }
  return out;
}

function expectedPieces(row: Row & { payload: string }, chunkChars: number): string[] {
  const record = conversationRecord(parseEnvelope(row.payload), row.user_id_source, row.received_at);
  return conversationPieces(record, chunkChars - TAG_CHARS).map((p) => pieceKey(p.kind, p.seq));
}

export function verify(options: {
  databasePath: string;
  memories: Iterable<OmMemory>;
  acknowledged: string[];
  chunkChars: number;
}): Verdict {
  const db = new DatabaseSync(options.databasePath, { readOnly: true });
  const rows = db
    .prepare(
      `SELECT e.conversation_id, e.status, e.last_error, e.user_id_source, e.received_at, p.payload
       FROM agent_memory_events e LEFT JOIN agent_memory_event_payloads p ON p.event_id = e.id
       WHERE e.type = 'post_call_transcription'`,
    )
    .all() as unknown as Row[];
  const statuses: Record<string, number> = {};
  for (const row of rows) statuses[row.status] = (statuses[row.status] ?? 0) + 1;
  db.close();

  const byConversation = new Map(rows.map((row) => [row.conversation_id, row]));
  const stored = storedPieces(options.memories);
  const verdict: Verdict = {
    acknowledged: options.acknowledged.length,
    delivered: 0,
    deadLettered: 0,
    lost: 0,
    duplicates: 0,
    incomplete: 0,
    lostExamples: [],
    duplicateExamples: [],
    statuses,
  };
  for (const [conversation_id, pieces] of stored) {
    for (const [piece, copies] of pieces) {
      if (copies < 2) continue;
      verdict.duplicates += copies - 1;
      if (verdict.duplicateExamples.length < 20)
        verdict.duplicateExamples.push({ conversation_id, piece, copies });
    }
  }
  function lose(conversation_id: string, why: string) {
    verdict.lost += 1;
    if (verdict.lostExamples.length < 20) verdict.lostExamples.push({ conversation_id, why });
  }
  for (const conversationId of options.acknowledged) {
    const row = byConversation.get(conversationId);
    if (!row) {
      lose(conversationId, 'answered 200 but no event row');
      continue;
    }
    if (row.status === 'dead') {
      if (row.last_error) verdict.deadLettered += 1;
      else lose(conversationId, 'dead-lettered without a reason');
      continue;
    }
    if (row.payload === null) {
      lose(conversationId, `event ${row.status} without its payload`);
      continue;
    }
    const have = stored.get(conversationId) ?? new Map<string, number>();
    const missing = expectedPieces(row as Row & { payload: string }, options.chunkChars).filter(
      (key) => !have.has(key),
    );
    if (row.status !== 'delivered')
      lose(conversationId, `event still ${row.status}: ${row.last_error ?? ''}`);
    else if (missing.length) {
      verdict.incomplete += 1;
      lose(conversationId, `delivered but ${missing.length} piece(s) missing: ${missing.join(', ')}`);
    } else verdict.delivered += 1;
  }
  return verdict;
}
