/**
 * What the remote backends share: a small adapter per server (add, list, search, delete, health)
 * and this one implementation of MemoryBackend on top of it. Idempotency comes from the server's own
 * listing (pieces already stored for this conversation are not sent again), summaries are ours
 * (stored as tagged `user_summary` memories, never the server's own text).
 */

import type { Clock } from '../../src/clock.ts';
import type { Upstream } from '../../src/resilience.ts';
import { clampLimit, conversationPieces, pieceKey, splitText } from './chunks.ts';
import { readTag, refTag, TAG_CHARS } from './tags.ts';
import {
  type BackendHealth,
  type ConversationRecord,
  type MemoryBackend,
  MemoryBackendError,
  type MemoryItem,
  type Scope,
  type UserSummary,
} from './types.ts';

/** One stored memory as a server returns it. */
export interface RawMemory {
  id: string;
  content: string;
  createdAt?: string;
  score?: number;
  metadata?: Record<string, unknown>;
}

export interface RemoteAdapter {
  /** `merged`: the server kept an older memory instead (OpenMemory's deduplication). */
  add(
    scope: Scope,
    content: string,
    metadata: Record<string, unknown>,
  ): Promise<{ id: string; merged: boolean }>;
  /** Newest first, with metadata. */
  list(scope: Scope, limit: number): Promise<RawMemory[]>;
  search(scope: Scope, query: string, limit: number): Promise<RawMemory[]>;
  deleteAll(scope: Scope): Promise<number>;
  /** Deletes one memory of `scope`; one already gone is not an error. */
  delete(scope: Scope, id: string): Promise<void>;
  health(): Promise<BackendHealth>;
  /** False when the server says it does not know the user (OpenMemory 404). */
  userKnown?(scope: Scope): Promise<boolean>;
}

/** What every HTTP backend is built from (OpenMemory, mem0). */
export interface HttpBackendOptions {
  apiKey: string;
  timeoutMs: number;
  upstream: Upstream;
  clock: Clock;
  /** Longest content of one add, tag included. */
  chunkChars?: number;
  searchLimitDefault?: number;
  searchLimitMax?: number;
  fetch?: typeof fetch;
}

export interface RemoteOptions {
  name: string;
  caps: MemoryBackend['caps'];
  adapter: RemoteAdapter;
  clock: Clock;
  /** Longest content of one add, tag included. */
  chunkChars: number;
  /** Prefix texts with a reference tag (needed where search hits carry no metadata). */
  tagged: boolean;
  searchLimitDefault?: number;
  searchLimitMax?: number;
  /** How many of a user's memories are read to find what a conversation already stored. */
  scanLimit?: number;
  close?: () => Promise<void>;
}

const SUMMARY_KIND = 'user_summary';

function kindOf(raw: RawMemory): { text: string; kind?: string; seq?: number } {
  const tag = readTag(raw.content);
  const kind = typeof raw.metadata?.kind === 'string' ? raw.metadata.kind : tag.kind;
  const seq = typeof raw.metadata?.seq === 'number' ? raw.metadata.seq : tag.seq;
  return { text: tag.text, kind, seq };
}

function toItem(raw: RawMemory): MemoryItem {
  const { text, kind, seq } = kindOf(raw);
  const metadata: Record<string, unknown> = { ...(raw.metadata ?? {}) };
  if (kind !== undefined) metadata.kind = kind;
  if (seq !== undefined) metadata.seq = seq;
  return {
    id: raw.id,
    text,
    ...(raw.createdAt ? { createdAt: raw.createdAt } : {}),
    ...(raw.score === undefined ? {} : { score: raw.score }),
    metadata,
  };
}

function newestFirst(a: RawMemory, b: RawMemory): number {
  return (Date.parse(b.createdAt ?? '') || 0) - (Date.parse(a.createdAt ?? '') || 0);
}

export function createRemoteBackend(options: RemoteOptions): MemoryBackend {
  const { adapter, clock } = options;
  const limitDefault = options.searchLimitDefault ?? 5;
  const limitMax = options.searchLimitMax ?? 20;
  const scanLimit = options.scanLimit ?? 1000;
  const textChars = options.tagged ? options.chunkChars - TAG_CHARS : options.chunkChars;

  /** Adds one piece; when the server folds it into another memory, retries with a fresh tag. */
  async function addPiece(
    scope: Scope,
    ref: string,
    kind: string,
    seq: number,
    text: string,
    metadata: Record<string, unknown>,
  ) {
    for (let salt = 0; salt < 3; salt++) {
      const content = options.tagged ? `${refTag(scope.userId, ref, kind, seq, salt)} ${text}` : text;
      const result = await adapter.add(scope, content, metadata);
      if (!result.merged) return result.id;
    }
    throw new MemoryBackendError(
      `${options.name} merged a ${kind} memory into another one (deduplication) three times`,
      undefined,
      true,
    );
  }

  async function summaryFromProfile(items: RawMemory[]): Promise<UserSummary | null> {
    const versions = new Map<number, RawMemory[]>();
    for (const item of items) {
      if (item.metadata?.kind !== SUMMARY_KIND) continue;
      const version = Number(item.metadata.version);
      versions.set(version, [...(versions.get(version) ?? []), item]);
    }
    for (const version of [...versions.keys()].sort((a, b) => b - a)) {
      const parts = versions.get(version)!;
      const wanted = Number(parts[0]?.metadata?.parts ?? parts.length);
      if (parts.length < wanted) continue;
      const text = parts
        .map((p) => ({ seq: Number(p.metadata?.seq ?? 0), text: kindOf(p).text }))
        .sort((a, b) => a.seq - b.seq)
        .map((p) => p.text)
        .join(' ');
      return { text, source: 'derived', updatedAt: new Date(version).toISOString() };
    }
    return null;
  }

  const backend: MemoryBackend = {
    name: options.name,
    caps: options.caps,
    health: () => adapter.health(),

    async storeConversation(scope: Scope, conversation: ConversationRecord) {
      const { conversationId } = conversation;
      const stored = new Map<string, string>();
      for (const raw of await adapter.list(scope, scanLimit)) {
        if (raw.metadata?.conversation_id !== conversationId) continue;
        const { kind, seq } = kindOf(raw);
        if (kind !== undefined && seq !== undefined) stored.set(pieceKey(kind, seq), raw.id);
      }
      const ids: string[] = [];
      for (const piece of conversationPieces(conversation, textChars)) {
        const key = pieceKey(piece.kind, piece.seq);
        const existing = stored.get(key);
        if (existing) {
          ids.push(existing);
          continue;
        }
        const metadata = {
          ...(conversation.metadata ?? {}),
          conversation_id: conversationId,
          ...(scope.agentId ? { agent_id: scope.agentId } : {}),
          ended_at: conversation.endedAt,
          kind: piece.kind,
          seq: piece.seq,
        };
        ids.push(await addPiece(scope, conversationId, piece.kind, piece.seq, piece.text, metadata));
      }
      return { ids };
    },

    async search(scope: Scope, query: string, opts?: { limit?: number }) {
      const limit = clampLimit(opts?.limit, limitDefault, limitMax);
      if (!query.trim()) return [];
      const hits = await adapter.search(scope, query, Math.min(limit + 5, 200));
      return hits
        .map(toItem)
        .filter((item) => item.metadata?.kind !== SUMMARY_KIND)
        .slice(0, limit);
    },

    async listRecent(scope: Scope, opts?: { limit?: number }) {
      const limit = clampLimit(opts?.limit, limitDefault, limitMax);
      const raw = await adapter.list(scope, Math.min(limit * 2 + 10, scanLimit));
      return raw
        .filter((item) => kindOf(item).kind !== SUMMARY_KIND)
        .sort(newestFirst)
        .slice(0, limit)
        .map(toItem);
    },

    async getUserSummary(scope: Scope) {
      const [known, items] = await Promise.all([
        adapter.userKnown ? adapter.userKnown(scope) : Promise.resolve(true),
        adapter.list(scope, 200),
      ]);
      if (!known || items.length === 0) return null;
      const memories = items.filter((item) => kindOf(item).kind !== SUMMARY_KIND).sort(newestFirst);
      const ours = await summaryFromProfile(items);
      if (ours) return { ...ours, memoryCount: memories.length };
      if (memories.length === 0) return null;
      const summaries = memories.filter((item) => kindOf(item).kind === 'summary');
      const chosen = (summaries.length ? summaries : memories).slice(0, 3);
      return {
        text: chosen.map((item) => kindOf(item).text).join(' '),
        source: 'derived',
        updatedAt: memories[0]?.createdAt,
        memoryCount: memories.length,
      };
    },

    async putUserSummary(scope: Scope, text: string) {
      // Each put writes a new version; the ones already there are deleted once it is complete (so a
      // reader never finds none), else every refresh would leave one more behind on the server.
      const previous = (await adapter.list(scope, scanLimit)).filter(
        (item) => kindOf(item).kind === SUMMARY_KIND,
      );
      const versions = previous.map((item) => Number(item.metadata?.version)).filter(Number.isFinite);
      // Above every earlier version even when the clock has not moved since (or went back).
      const version = Math.max(clock.now(), ...versions.map((v) => v + 1));
      const parts = splitText(text, textChars);
      for (const [seq, part] of parts.entries()) {
        const metadata = { kind: SUMMARY_KIND, version, seq, parts: parts.length };
        await addPiece(scope, `summary-${version}`, SUMMARY_KIND, seq, part, metadata);
      }
      for (const item of previous) await adapter.delete(scope, item.id);
    },

    async deleteUser(scope: Scope) {
      return { deleted: await adapter.deleteAll(scope) };
    },

    close: options.close,
  };
  return backend;
}
