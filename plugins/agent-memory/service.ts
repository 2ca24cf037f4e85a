/**
 * The agent-memory service: the three webhooks' logic, the delivery worker, the caller summaries
 * and greetings, agent profiles, and erasure. Runtime-agnostic: db, clock, logger, the memory
 * backend, the ElevenLabs client, the cache and storage services are injected.
 */
import type { Clock } from '../../src/clock.ts';
import { type Db, readSnapshot } from '../../src/db/index.ts';
import type { ElevenLabsClient } from '../../src/elevenlabs.ts';
import { HttpError } from '../../src/http/errors.ts';
import { annotateRequest, type Logger } from '../../src/log.ts';
import type { Upstream } from '../../src/resilience.ts';
import type { CacheService } from '../cache/index.ts';
import type { StorageService } from '../storage/index.ts';
import { CallerStore } from './callers.ts';
import type { AgentMemoryConfig } from './config.ts';
import { transcriptText, turnsOf } from './conversation.ts';
import { DeliveryWorker } from './delivery.ts';
import { type EventMeta, EventStore, type HistoryRow } from './event-store.ts';
import { createFiles } from './files.ts';
import { type ConversationFacts, factsFromJson, factsJson, summarize } from './greeting.ts';
import { llmSummary } from './llm.ts';
import type { MemoryBackend } from './memory.ts';
import { type Envelope, isWithheldCallerId, parseEnvelope } from './payload.ts';
import { handlePostCall, type PostCallAnswer, type PostCallInput } from './post-call.ts';
import type { AgentProfile } from './profile.ts';
import { ProfileStore } from './profiles.ts';
import {
  type CallerContext,
  type ClientDataBody,
  type ClientDataResponse,
  clientDataResponse,
  type SearchBody,
  type SearchResponse,
  searchRequest,
  searchResponse,
} from './responses.ts';

export interface AgentMemoryDeps {
  config: AgentMemoryConfig;
  db: Db;
  clock: Clock;
  logger: Logger;
  /** Lease owner of this process (ctx.instanceId). */
  owner: string;
  backend: () => MemoryBackend;
  elevenlabs: ElevenLabsClient | null;
  /** The retry/breaker policy for ElevenLabs agent fetches. */
  profileUpstream: Upstream;
  cache: CacheService | null;
  storage: StorageService | null;
  fetch?: typeof fetch;
  random?: () => number;
}

export interface ErasureResult {
  user_id: string;
  memories_deleted: number;
  events_deleted: number;
  greetings_deleted: number;
  files_deleted: number;
}

/** How long audio waits for its transcription without a cache plugin (AUDIO_CACHE_TTL's default). */
const DEFAULT_AUDIO_TTL_SECONDS = 3600;

/** How many stored conversations feed a caller's summary. */
/** How long an erasure waits for deliveries of the caller running in other processes. */
const ERASURE_WAIT_MS = 15_000;
const HISTORY = 10;

export function createAgentMemoryService(deps: AgentMemoryDeps) {
  const { config, logger, clock } = deps;
  const events = new EventStore(deps.db);
  const callers = new CallerStore(deps.db);
  const profiles = new ProfileStore({
    db: deps.db,
    clock,
    logger,
    client: deps.elevenlabs,
    upstream: deps.profileUpstream,
    cache: deps.cache?.namespace('agent-profile') ?? null,
    backend: deps.backend,
    ttlSeconds: config.profileTtlSeconds,
    toMemoryBackend: config.profileInMemoryBackend,
  });
  const worker = new DeliveryWorker({
    store: events,
    backend: deps.backend,
    clock,
    logger,
    owner: deps.owner,
    config: config.delivery,
    afterDelivery: updateCaller,
    random: deps.random,
    unseal: (text) => (deps.storage ? deps.storage.unseal(text) : Promise.resolve(text)),
  });
  const files = createFiles({
    storage: deps.storage,
    cache: deps.cache,
    db: deps.db,
    clock,
    events,
    logger,
    audioTtlSeconds: DEFAULT_AUDIO_TTL_SECONDS,
  });

  /**
   * The caller's summary and next greeting from every committed conversation, in our table, and
   * (`toBackend`, after a delivery) in the memory backend, with the optional LLM. Also run at commit
   * when the delivery did not finish inline (template only, our table only), so a backend that is
   * down does not keep a returning caller on an old greeting.
   */
  async function updateCaller(row: EventMeta, envelope: Envelope, toBackend = true): Promise<void> {
    const history = events.recentTranscriptions(row.user_id, row.agent_id, HISTORY).map(historyFacts);
    // A newer conversation of the caller is committed: its own update covers this one (its history
    // holds it), and writing after it would put an older call's greeting back (deliveries after an
    // outage finish in any order).
    if (history[0] && history[0].conversationId !== row.conversation_id) return;
    const total = events.countConversations(row.user_id, row.agent_id);
    const templates = { withTopic: config.greetingTemplate, withoutTopic: config.greetingTemplateNoTopic };
    const result = summarize(history, templates, total);
    const llm = config.greetingLlm;
    // At commit (not yet delivered) the template does: the LLM runs once, after the delivery.
    if (llm.url && toBackend) {
      const written = await llmSummary(
        { url: llm.url, model: llm.model, apiKey: llm.apiKey, timeoutMs: llm.timeoutMs, fetch: deps.fetch },
        { transcript: transcriptText(turnsOf(envelope.data)), previous: result },
        logger,
      );
      if (written) Object.assign(result, written);
    }
    // Erased meanwhile (the erasure waits for this work, but it may have started after it): the
    // greeting must not come back.
    if (!events.has(row.id)) return;
    callers.upsert({
      user_id: row.user_id,
      agent_id: row.agent_id ?? '',
      name: result.name ?? null,
      summary: result.summary,
      greeting: result.greeting,
      conversations: result.conversations,
      last_conversation_id: row.conversation_id,
      updated_at: clock.now(),
    });
    if (!toBackend) return;
    try {
      await deps.backend().putUserSummary(scopeOf(row.user_id, row.agent_id), result.summary);
    } catch (error) {
      logger.warn({ err: error, event_id: row.id }, 'caller summary not written to the memory backend');
    }
  }

  /** One past conversation's facts: its stored `facts_json`, else (older rows) its payload, once. */
  function historyFacts(r: HistoryRow): ConversationFacts {
    const at = r.event_timestamp ? r.event_timestamp * 1000 : r.received_at;
    if (r.facts_json !== null) return factsFromJson(r.conversation_id, at, r.facts_json);
    const json = factsJson(parseEnvelope(r.payload ?? '').data);
    events.saveFacts(r.id, json);
    return factsFromJson(r.conversation_id, at, json);
  }

  /** A caller id post-call stores under: a withheld number ("anonymous", …) is no caller id. */
  const usableCallerId = (userId: string | undefined): userId is string =>
    !!userId && !isWithheldCallerId(userId);

  async function callerContext(
    userId: string | undefined,
    agentId: string,
    read?: ReturnType<CallerStore['read']>,
  ): Promise<CallerContext | null> {
    if (!usableCallerId(userId)) return null;
    const found = read === undefined ? callers.read(userId, agentId) : read;
    if (found)
      return { summary: found.row.summary, greeting: found.sameAgent ? found.row.greeting : undefined };
    const summary = await deps.backend().getUserSummary(scopeOf(userId, agentId));
    return summary ? { summary: summary.text } : null;
  }

  /**
   * Call start's two table reads (the caller's row, the agent's stored profile) in one snapshot:
   * one round of WAL read locks instead of two. Undefined when that fails: each read then goes on
   * its own, with its own error handling.
   */
  function readEarly(body: ClientDataBody & { agent_id: string }) {
    try {
      return readSnapshot(deps.db, () => ({
        caller: usableCallerId(body.caller_id) ? callers.read(body.caller_id, body.agent_id) : null,
        profile: profiles.storedRow(body.agent_id),
      }));
    } catch {
      return undefined;
    }
  }

  async function clientData(body: ClientDataBody & { agent_id: string }): Promise<ClientDataResponse> {
    const controller = new AbortController();
    const call = { agent_id: body.agent_id, call_sid: body.call_sid };
    const log = () => logger.child(call);
    // On the access line even when the deadline answers first.
    annotateRequest(call);
    // The profile as soon as it is read: the fallback still needs its dynamic-variable placeholders
    // (ElevenLabs refuses a response that lacks a variable the agent defines).
    let profile: AgentProfile | null = null;
    const early = readEarly(body);
    const work = (async () => {
      const [read, caller] = await Promise.all([
        profiles.read(body.agent_id, controller.signal, early?.profile).then(
          (found) => {
            profile = found?.profile ?? null;
            return found;
          },
          (error) => {
            log().warn({ err: error }, 'agent profile unavailable at call start');
            return null;
          },
        ),
        // Failing alone, so the profile read still finishes and its placeholders are answered.
        callerContext(body.caller_id, body.agent_id, early?.caller).catch((error) => {
          log().warn({ err: error }, 'client-data personalization failed; agent defaults answered');
          return null;
        }),
      ]);
      const answered = {
        profile_source: read?.source ?? 'none',
        known_caller: caller !== null,
        greeting: !!caller?.greeting,
      };
      if (!annotateRequest(answered)) log().info(answered, 'client-data answered');
      return clientDataResponse(body, read?.profile ?? null, caller, config.firstMessageOverride);
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), config.clientDataTimeoutMs);
    });
    try {
      const result = await Promise.race([work, deadline]);
      if (result !== 'timeout') return result;
      controller.abort();
      log().warn(
        { deadline_ms: config.clientDataTimeoutMs },
        'client-data deadline passed; agent defaults answered',
      );
    } catch (error) {
      log().warn({ err: error }, 'client-data personalization failed; agent defaults answered');
    } finally {
      clearTimeout(timer);
    }
    work.catch(() => undefined);
    return clientDataResponse(body, profile, null);
  }

  async function search(body: SearchBody): Promise<SearchResponse> {
    const request = searchRequest(body);
    if (!request) throw new HttpError(400, 'Missing query parameter');
    try {
      const items = await deps
        .backend()
        .search({ userId: request.userId }, request.query, { limit: request.limit });
      const searched = { found: items.length, limit: request.limit };
      if (!annotateRequest(searched)) logger.info(searched, 'memory search');
      return searchResponse(items.slice(0, request.limit));
    } catch (error) {
      logger.error({ err: error }, 'memory search failed');
      throw new HttpError(500, 'Failed to search memories');
    }
  }

  /**
   * Holds the caller's events against new deliveries, here and in every process sharing the
   * database, and waits for deliveries other processes are running (at most ERASURE_WAIT_MS): what
   * they write to the backend after its delete would outlive the erasure. True when it waited.
   */
  async function holdCaller(userId: string, owner: string): Promise<boolean> {
    const until = performance.now() + ERASURE_WAIT_MS;
    let waited = false;
    while (events.holdForErasure(userId, owner, clock.now(), config.delivery.leaseMs, deps.owner) > 0) {
      if (performance.now() >= until) {
        events.releaseErasure(userId, owner);
        logger.error('erasure: a delivery of the caller holds a lease in another process; nothing deleted');
        throw new HttpError(
          503,
          'A delivery of this caller may still be running in another process (or one stopped less than a lease ago); nothing was deleted, please retry',
        );
      }
      waited = true;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return waited;
  }

  async function emptyBackend(userId: string, owner: string, incomplete: boolean): Promise<number> {
    try {
      return (await deps.backend().deleteUser({ userId })).deleted;
    } catch (error) {
      if (!incomplete) events.releaseErasure(userId, owner);
      logger.error({ err: error }, 'erasure: memory backend failed');
      throw new HttpError(
        503,
        incomplete
          ? 'Memory backend unavailable; erasure incomplete, please retry'
          : 'Memory backend unavailable; nothing was deleted',
      );
    }
  }

  /** Right to erasure: the backend first (nothing local is touched if it fails), then ours. */
  async function eraseUser(userId: string): Promise<ErasureResult> {
    const owner = `erasure:${crypto.randomUUID()}`;
    await holdCaller(userId, owner);
    let memories = await emptyBackend(userId, owner, false);
    // A call of this caller committed while the backend was emptied may be delivering in another
    // process now: hold again, and empty the backend once more after it.
    if (await holdCaller(userId, owner)) memories += await emptyBackend(userId, owner, false);
    const removed = events.deleteUser(userId);
    let greetings = callers.deleteUser(userId);
    const filesDeleted = await files.erase(userId, removed.conversations);
    // A delivery of this caller in flight (or its greeting work) may write to the backend or
    // re-create the greeting after the deletes above: wait for it, then delete what it wrote.
    if (await worker.settledFor(userId)) {
      greetings += callers.deleteUser(userId);
      memories += await emptyBackend(userId, owner, true);
    }
    const result = {
      user_id: userId,
      memories_deleted: memories,
      events_deleted: removed.deleted,
      greetings_deleted: greetings,
      files_deleted: filesDeleted,
    };
    logger.info({ ...result, user_id: undefined }, 'caller data erased');
    return result;
  }

  return {
    events,
    worker,
    profiles,
    postCall: (input: PostCallInput): Promise<PostCallAnswer> =>
      handlePostCall(
        {
          events,
          worker,
          files,
          clock,
          logger,
          inlineBudgetMs: config.delivery.inlineBudgetMs,
          seal: (text) => (deps.storage ? deps.storage.seal(text) : Promise.resolve(text)),
          refreshProfile: (agentId) => void profiles.refresh(agentId),
          refreshCaller: (row, envelope) => worker.track(row, envelope, (r, e) => updateCaller(r, e, false)),
          noteRequest: () => deps.storage?.noteRequest(),
        },
        input,
      ),
    clientData,
    search,
    eraseUser,
    /** Makes events due again (`elaoms replay`); returns their ids. */
    replay: (options: { dead?: boolean; id?: string } = {}) => events.requeue(options, clock.now()),
    start: () => worker.start(),
    async stop() {
      await worker.stop();
      await profiles.settled();
    },
    /** Waits for background work (greetings, profile refreshes). */
    async settled() {
      await worker.settled();
      await profiles.settled();
    },
  };
}

export type AgentMemoryService = ReturnType<typeof createAgentMemoryService>;

function scopeOf(userId: string, agentId: string | null | undefined) {
  return agentId ? { userId, agentId } : { userId };
}
