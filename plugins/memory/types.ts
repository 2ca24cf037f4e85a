/**
 * The memory backend contract (reference: memory-backends.md §6). One interface, three stores:
 * embedded (our SQLite, FTS5), openmemory and mem0 (HTTP). agent-memory only sees this.
 */

/** Whose memories: the caller (E.164 phone or app user id), optionally narrowed to an agent. */
export interface Scope {
  userId: string;
  agentId?: string;
}

export interface MemoryItem {
  id: string;
  text: string;
  createdAt?: string;
  /** Backend-specific; never compared across backends. */
  score?: number;
  metadata?: Record<string, unknown>;
}

export interface Turn {
  role: 'user' | 'agent';
  text: string;
  timeInCallSecs?: number;
}

export interface ConversationRecord {
  conversationId: string;
  /** ISO time the call ended (or the event time). */
  endedAt: string;
  transcript: Turn[];
  /** ElevenLabs' analysis.transcript_summary. */
  summary?: string;
  /** Data-collection results and other short facts, one sentence each. */
  facts?: string[];
  /** conversation_id, agent_id, event_type, event_timestamp (DS-1.3) and more. */
  metadata?: Record<string, unknown>;
}

export interface UserSummary {
  text: string;
  source: 'native' | 'derived';
  updatedAt?: string;
  memoryCount?: number;
}

export interface BackendHealth {
  ok: boolean;
  latencyMs?: number;
  detail?: string;
}

export interface MemoryBackend {
  readonly name: string;
  readonly caps: { nativeSummary: boolean; semantic: boolean; metadataInSearch: boolean };
  health(): Promise<BackendHealth>;
  /** After a call: one logical write, idempotent on conversationId. Returns the ids written. */
  storeConversation(scope: Scope, conversation: ConversationRecord): Promise<{ ids: string[] }>;
  /** In-call search, strictly within scope.userId. */
  search(scope: Scope, query: string, options?: { limit?: number }): Promise<MemoryItem[]>;
  /** Newest first. */
  listRecent(scope: Scope, options?: { limit?: number }): Promise<MemoryItem[]>;
  /** Call start: one read. null = unknown caller. */
  getUserSummary(scope: Scope): Promise<UserSummary | null>;
  putUserSummary(scope: Scope, text: string): Promise<void>;
  /** Right to erasure. */
  deleteUser(scope: Scope): Promise<{ deleted: number }>;
  /** Releases connections. */
  close?(): Promise<void>;
}

/**
 * Errors from a backend. `permanent` ones (4xx other than 408/429) are not worth retrying:
 * the delivery queue dead-letters them with the reason.
 */
export class MemoryBackendError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly permanent = false,
    override readonly cause?: unknown,
    /** From the upstream's Retry-After: the retry waits at least this long. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'MemoryBackendError';
  }
}
