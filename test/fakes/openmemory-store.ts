/**
 * In-memory state of the fake OpenMemory with the HSG engine's observable behaviour (reference
 * memory-backends.md §1.4–1.5): global simhash dedup, essence truncation, z-scored query scores,
 * salience reinforcement, a 60 s query-result cache and the frozen SQLite user summary.
 */
import { essence, hamming, overlap, simhash } from './openmemory-text.ts';

export interface OmMemory {
  id: string;
  user_id: string | null;
  /** What the server returns: the essence when the original was longer than the limit. */
  content: string;
  /** What the synthetic embedding was computed from (the full original text). */
  original: string;
  tags: string[];
  metadata: Record<string, unknown>;
  simhash: string;
  salience: number;
  decay_lambda: number;
  primary_sector: string;
  version: number;
  created_at: number;
  updated_at: number;
  last_seen_at: number;
}

export interface OmUser {
  user_id: string;
  summary: string;
  reflection_count: number;
  created_at: number;
  updated_at: number;
}

export interface StoreOptions {
  useSummaryOnly: boolean;
  summaryMaxLength: number;
  /** `sqlite` reproduces the frozen "User profile initializing..." summary; `postgres` updates it. */
  metadataBackend: 'sqlite' | 'postgres';
  queryCacheTtlMs: number;
}

export interface QueryFilters {
  user_id?: string;
  sector?: string;
  /** Despite the name, the server compares this with `salience`, not with `score`. */
  min_score?: number;
  startTime?: number;
  endTime?: number;
}

export interface Match {
  id: string;
  content: string;
  score: number;
  sectors: string[];
  primary_sector: string;
  path: string[];
  salience: number;
  last_seen_at: number;
}

export const INITIAL_SUMMARY = 'User profile initializing...';

export class OpenMemoryStore {
  readonly memories = new Map<string, OmMemory>();
  readonly users = new Map<string, OmUser>();
  readonly #cache = new Map<string, { at: number; matches: Match[] }>();

  constructor(readonly options: StoreOptions) {}

  add(content: string, tags: string[], metadata: Record<string, unknown>, userId: string | null) {
    const hash = simhash(content);
    const twin = [...this.memories.values()].find((m) => hamming(m.simhash, hash) <= 3);
    const now = Date.now();
    if (twin) {
      // Global: the lookup ignores user_id, and returns before the caller's users row is created.
      twin.salience = Math.min(1, twin.salience + 0.15);
      twin.last_seen_at = now;
      return {
        id: twin.id,
        primary_sector: twin.primary_sector,
        sectors: [twin.primary_sector],
        deduplicated: true,
      };
    }
    if (userId) this.#ensureUser(userId, now);
    const kept = this.options.useSummaryOnly ? essence(content, this.options.summaryMaxLength) : content;
    const memory: OmMemory = {
      id: crypto.randomUUID(),
      user_id: userId,
      content: kept,
      original: content,
      tags,
      metadata,
      simhash: hash,
      salience: 0.4,
      decay_lambda: 0.005,
      primary_sector: 'semantic',
      version: 1,
      created_at: now,
      updated_at: now,
      last_seen_at: now,
    };
    this.memories.set(memory.id, memory);
    if (userId) this.#refreshSummary(userId);
    return { id: memory.id, primary_sector: 'semantic', sectors: ['semantic'], chunks: 1 };
  }

  query(text: string, k: number, filters: QueryFilters): Match[] {
    const key = `${text}:${k}:${JSON.stringify(filters)}`;
    const cached = this.#cache.get(key);
    if (cached && Date.now() - cached.at < this.options.queryCacheTtlMs) return cached.matches;
    const scored = [...this.memories.values()]
      .filter((m) => passes(m, filters))
      .map((m) => ({ memory: m, raw: overlap(text, m.original) }))
      .filter((s) => s.raw > 0)
      .sort((a, b) => b.raw - a.raw || b.memory.created_at - a.memory.created_at);
    const average = scored.length
      ? scored.slice(0, 8).reduce((sum, s) => sum + s.raw, 0) / Math.min(8, scored.length)
      : 0;
    // Like hsg_query, the answer holds up to k + ceil(0.3·k·(1 − avg)) candidates, not k.
    const candidates = scored.slice(0, k + Math.ceil(0.3 * k * (1 - average)));
    const scores = zScores(candidates.map((s) => s.raw));
    const now = Date.now();
    const matches = candidates.map(function toMatch(s, i): Match {
      const m = s.memory;
      if (i < k) {
        m.salience = Math.min(1, m.salience + 0.1 * (1 - m.salience));
        m.last_seen_at = now;
      }
      return {
        id: m.id,
        content: m.content,
        score: scores[i],
        sectors: [m.primary_sector],
        primary_sector: m.primary_sector,
        path: [m.id],
        salience: m.salience,
        last_seen_at: m.last_seen_at,
      };
    });
    this.#cache.set(key, { at: now, matches });
    return matches;
  }

  listByUser(userId: string | null, limit: number, offset: number): OmMemory[] {
    return [...this.memories.values()]
      .filter((m) => m.user_id === userId)
      .sort((a, b) => b.created_at - a.created_at)
      .slice(offset, offset + limit);
  }

  /** Deletes the memories only: the users row (and so a 200 summary) survives. */
  deleteByUser(userId: string): number {
    const doomed = this.listByUser(userId, 10_000, 0);
    for (const m of doomed) this.memories.delete(m.id);
    return doomed.length;
  }

  regenerate(userId: string): void {
    this.#refreshSummary(userId);
  }

  #ensureUser(userId: string, now: number): void {
    if (this.users.has(userId)) return;
    this.users.set(userId, {
      user_id: userId,
      summary: INITIAL_SUMMARY,
      reflection_count: 0,
      created_at: now,
      updated_at: now,
    });
  }

  #refreshSummary(userId: string): void {
    const user = this.users.get(userId);
    // SQLite: `update users set summary=?,…,updated_at=? where user_id=?` gets (user_id, summary, now):
    // no row matches, so the summary never changes.
    if (!user || this.options.metadataBackend === 'sqlite') return;
    const count = this.listByUser(userId, 10_000, 0).length;
    const now = Date.now();
    user.summary = `Active in Unknown Project using General. Focused on various files. (${count} memories, 0 saves). Last active: ${new Date(now).toISOString()}.`;
    user.updated_at = now;
  }
}

function passes(m: OmMemory, f: QueryFilters): boolean {
  if (f.user_id && m.user_id !== f.user_id) return false;
  if (f.sector && m.primary_sector !== f.sector) return false;
  if (f.min_score && m.salience < f.min_score) return false;
  if (f.startTime && m.created_at < f.startTime) return false;
  if (f.endTime && m.created_at > f.endTime) return false;
  return true;
}

/** (x − mean) / std: a single hit scores 0, the best of two +1 and the other −1. */
function zScores(values: number[]): number[] {
  if (values.length === 0) return [];
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length);
  return values.map((v) => (v - mean) / (std + 1e-8));
}
