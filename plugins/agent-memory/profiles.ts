/**
 * Where agent profiles come from. `read()` (client-data) only reads: the cache, then our table,
 * then ElevenLabs, and stores nothing (FR-2.9, FR-5.8). `refresh()` (background, after post-call,
 * FR-5.7/FR-9) fetches through the official SDK under our retry policy and stores the profile in
 * the cache, our table and, compactly, the memory backend (FR-5.1–5.3).
 */
import { eq, sql } from 'drizzle-orm';
import type { Clock } from '../../src/clock.ts';
import { type Db, preparedQueries } from '../../src/db/index.ts';
import type { ElevenLabsClient } from '../../src/elevenlabs.ts';
import type { Logger } from '../../src/log.ts';
import { parseRetryAfter, statusOf, type Upstream, UpstreamError } from '../../src/resilience.ts';
import type { CacheStore } from '../cache/index.ts';
import type { MemoryBackend } from './memory.ts';
import { type AgentProfile, extractProfile, profileFacts } from './profile.ts';
import { profiles } from './schema.ts';

export interface ProfileDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** null when ELEVENLABS_API_KEY is not set: profiles then come only from what is stored. */
  client: ElevenLabsClient | null;
  upstream: Upstream;
  /** The cache plugin's `agent-profile` namespace; null when there is none. */
  cache: CacheStore | null;
  backend: () => MemoryBackend;
  ttlSeconds: number;
  /** Also write the compact profile to the memory backend. */
  toMemoryBackend: boolean;
}

/** An agent's stored profile row as read, or null when the table has none. */
export type StoredProfile = { profile: string; fetched_at: number } | null;

const queries = preparedQueries((db) => ({
  byAgent: db
    .select({ profile: profiles.profile, fetched_at: profiles.fetchedAt })
    .from(profiles)
    .where(eq(profiles.agentId, sql.placeholder('agent_id')))
    .prepare(),
  upsert: db
    .insert(profiles)
    .values({
      agentId: sql.placeholder('agent_id'),
      profile: sql.placeholder('profile'),
      fetchedAt: sql.placeholder('fetched_at'),
    })
    .onConflictDoUpdate({
      target: profiles.agentId,
      set: { profile: sql`excluded.profile`, fetchedAt: sql`excluded.fetched_at` },
    })
    .prepare(),
}));

export class ProfileStore {
  private readonly inFlight = new Map<string, Promise<AgentProfile | null>>();

  constructor(private readonly deps: ProfileDeps) {}

  /**
   * Client-data: cache → table → ElevenLabs (without storing). null when none of them has it.
   * `stored` is the table's row when the caller already read it (`storedRow`, null for none).
   */
  async read(
    agentId: string,
    signal?: AbortSignal,
    stored?: StoredProfile,
  ): Promise<{ profile: AgentProfile; source: string } | null> {
    const cached = await this.fromCache(agentId);
    if (cached) return { profile: cached, source: 'cache' };
    const row = stored === undefined ? this.storedRow(agentId) : stored;
    if (row) return { profile: JSON.parse(row.profile) as AgentProfile, source: 'table' };
    const fetched = await this.fetch(agentId, signal);
    return fetched ? { profile: fetched, source: 'elevenlabs' } : null;
  }

  /**
   * Background refresh after a post-call: skipped while the stored copy is younger than the TTL.
   * Failures are logged and never thrown (FR-9.3).
   */
  refresh(agentId: string, force = false): Promise<AgentProfile | null> {
    const running = this.inFlight.get(agentId);
    if (running) return running;
    const work = this.doRefresh(agentId, force)
      .catch((error) => {
        this.deps.logger.warn({ err: error, agent_id: agentId }, 'agent profile refresh failed');
        return null;
      })
      .finally(() => this.inFlight.delete(agentId));
    this.inFlight.set(agentId, work);
    return work;
  }

  /** Waits for refreshes in flight (stop, tests). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async doRefresh(agentId: string, force: boolean): Promise<AgentProfile | null> {
    const stored = this.fromTable(agentId);
    const fresh = stored && this.deps.clock.now() - stored.fetchedAt < this.deps.ttlSeconds * 1000;
    if (fresh && !force) return stored.profile;
    const profile = await this.fetch(agentId);
    if (!profile) return null;
    const now = this.deps.clock.now();
    const json = JSON.stringify(profile);
    queries(this.deps.db).upsert.run({ agent_id: agentId, profile: json, fetched_at: now });
    await this.deps.cache?.set(agentId, json, this.deps.ttlSeconds).catch((error) => {
      this.deps.logger.warn({ err: error, agent_id: agentId }, 'agent profile not cached');
    });
    if (this.deps.toMemoryBackend && profile.updatedAt !== stored?.profile.updatedAt)
      await this.toBackend(profile);
    this.deps.logger.info({ agent_id: agentId }, 'agent profile refreshed');
    return profile;
  }

  private async toBackend(profile: AgentProfile): Promise<void> {
    try {
      await this.deps.backend().storeConversation(
        { userId: profile.agentId },
        {
          conversationId: `agent_profile:${profile.agentId}:${profile.updatedAt ?? 0}`,
          endedAt: new Date(this.deps.clock.now()).toISOString(),
          transcript: [],
          facts: profileFacts(profile),
          metadata: { type: 'agent_profile', agent_id: profile.agentId },
        },
      );
    } catch (error) {
      this.deps.logger.warn(
        { err: error, agent_id: profile.agentId },
        'agent profile not written to the memory backend',
      );
    }
  }

  private async fromCache(agentId: string): Promise<AgentProfile | null> {
    if (!this.deps.cache) return null;
    try {
      const text = await this.deps.cache.getText(agentId);
      return text ? (JSON.parse(text) as AgentProfile) : null;
    } catch (error) {
      this.deps.logger.warn({ err: error, agent_id: agentId }, 'agent profile cache read failed');
      return null;
    }
  }

  /** The table's row, unparsed: `read` parses it only when the cache has no copy. */
  storedRow(agentId: string): StoredProfile {
    return queries(this.deps.db).byAgent.get({ agent_id: agentId }) ?? null;
  }

  private fromTable(agentId: string): { profile: AgentProfile; fetchedAt: number } | null {
    const row = this.storedRow(agentId);
    return row ? { profile: JSON.parse(row.profile) as AgentProfile, fetchedAt: row.fetched_at } : null;
  }

  /** `GET /v1/convai/agents/{id}` through the SDK; null for 404 or without an API key. */
  private async fetch(agentId: string, signal?: AbortSignal): Promise<AgentProfile | null> {
    const client = this.deps.client;
    if (!client) return null;
    try {
      const agent = await this.deps.upstream.execute(() =>
        client.conversationalAi.agents
          .get(agentId, undefined, { abortSignal: signal })
          .catch((error: unknown) => {
            throw withRetryAfter(error);
          }),
      );
      return extractProfile(agent as unknown as Record<string, unknown>);
    } catch (error) {
      if (statusOf(error) === 404) {
        this.deps.logger.warn({ agent_id: agentId }, 'agent not found at ElevenLabs');
        return null;
      }
      throw error;
    }
  }
}

/** An SDK error as the SDK throws it: the status, and the raw response with its headers. */
interface SdkHttpError extends Error {
  statusCode: number;
  rawResponse?: { headers?: { get?(name: string): string | null } };
}

/**
 * The SDK's HTTP errors carry Retry-After only in their raw response; the retry policy reads
 * `retryAfterMs`. 429 and 5xx become an {@link UpstreamError} with it (the same mapping as kb-sync's,
 * kept here so agent-memory does not depend on kb-sync); anything else passes unchanged.
 */
function withRetryAfter(error: unknown, nowMs = Date.now()): unknown {
  const e = error as Partial<SdkHttpError> | undefined;
  if (!(error instanceof Error) || typeof e?.statusCode !== 'number') return error;
  const status = e.statusCode;
  if (status !== 429 && status < 500) return error;
  const retryAfterMs = parseRetryAfter(e.rawResponse?.headers?.get?.('retry-after') ?? undefined, nowMs);
  // A short message: the log's error serializer appends the cause's (the SDK's status and body).
  return new UpstreamError(`ElevenLabs answered HTTP ${status}`, status, retryAfterMs, error);
}
