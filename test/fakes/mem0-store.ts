/**
 * Memory rows of the fake mem0 and the entity filtering/scoring both flavours share. Search is
 * lexical: score = share of the query's tokens found in the memory (0..1).
 */
import { overlap } from './openmemory-text.ts';

export const ENTITY_KEYS = ['user_id', 'agent_id', 'run_id', 'app_id'] as const;
export type EntityKey = (typeof ENTITY_KEYS)[number];
export type Entities = Partial<Record<EntityKey, string>>;

export interface Mem0Memory extends Entities {
  id: string;
  memory: string;
  hash: string;
  metadata: Record<string, unknown>;
  role: string;
  created_at: string;
  updated_at: string;
}

export interface Message {
  role: string;
  content: string;
}

export function entitiesOf(source: Record<string, unknown>): Entities {
  const entities: Entities = {};
  for (const key of ENTITY_KEYS) {
    const value = source[key];
    if (typeof value === 'string' && value !== '') entities[key] = value;
  }
  return entities;
}

/** Flatten `{user_id}`, `{AND:[{user_id},{agent_id}]}` style filters into required entity ids. */
export function filterEntities(filters: unknown): Entities {
  if (typeof filters !== 'object' || filters === null) return {};
  const record = filters as Record<string, unknown>;
  const entities = entitiesOf(record);
  if (Array.isArray(record.AND)) {
    for (const part of record.AND) Object.assign(entities, filterEntities(part));
  }
  return entities;
}

export function matchesEntities(memory: Mem0Memory, wanted: Entities): boolean {
  return ENTITY_KEYS.every((key) => wanted[key] === undefined || memory[key] === wanted[key]);
}

export function hasEntity(entities: Entities): boolean {
  return ENTITY_KEYS.some((key) => entities[key] !== undefined);
}

async function md5ish(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest).slice(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
}

export class Mem0Store {
  readonly memories = new Map<string, Mem0Memory>();

  /**
   * Store messages. `infer: false` keeps every message (user and assistant) verbatim, as mem0
   * does; `infer: true` stands in for LLM fact extraction by keeping the user messages only.
   */
  async add(messages: Message[], entities: Entities, metadata: Record<string, unknown>, infer: boolean) {
    const kept = messages.filter((m) => m.content.trim() !== '' && (!infer || m.role === 'user'));
    const created: Mem0Memory[] = [];
    for (const message of kept) {
      const now = new Date().toISOString();
      const memory: Mem0Memory = {
        id: crypto.randomUUID(),
        memory: message.content,
        hash: await md5ish(message.content),
        metadata,
        role: message.role,
        created_at: now,
        updated_at: now,
        ...entities,
      };
      this.memories.set(memory.id, memory);
      created.push(memory);
    }
    return created;
  }

  /** Newest first. */
  list(wanted: Entities): Mem0Memory[] {
    return [...this.memories.values()].filter((m) => matchesEntities(m, wanted)).reverse();
  }

  search(query: string, wanted: Entities, topK: number, threshold: number) {
    return this.list(wanted)
      .map((memory) => ({ memory, score: overlap(query, memory.memory) }))
      .filter((hit) => hit.score >= threshold)
      .sort((a, b) => b.score - a.score)
      .slice(0, topK);
  }

  deleteWhere(wanted: Entities): number {
    const doomed = this.list(wanted);
    for (const memory of doomed) this.memories.delete(memory.id);
    return doomed.length;
  }
}
