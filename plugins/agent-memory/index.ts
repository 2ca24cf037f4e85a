/**
 * agent-memory: the three ElevenLabs webhooks and the caller's memory.
 * - `POST /webhooks/post-call` (hmac-auth signature): commit, file, deliver to the memory backend
 *   (inline within a budget, else the durable queue), compute the next greeting.
 * - `POST /webhooks/client-data` (header-auth, webhook key): the call-start personalization.
 * - `POST /webhooks/search-data` (header-auth, webhook key): the in-call memory search tool.
 * - `DELETE /api/users/:user_id/memories` (header-auth, admin key): right to erasure.
 */
import { fileURLToPath } from 'node:url';
import { Elysia, t } from 'elysia';
import { createElevenLabsClient } from '../../src/elevenlabs.ts';
import { type EmbedOptions, embed } from '../../src/embed.ts';
import { requestIdOf } from '../../src/http/request-context.ts';
import { currentRequestId } from '../../src/log.ts';
import { definePlugin } from '../../src/plugin.ts';
import { createUpstream } from '../../src/resilience.ts';
import { type CacheService, cachePlugin } from '../cache/index.ts';
import { headerAuthPlugin } from '../header-auth/index.ts';
import { type HmacAuthService, hmacAuthPlugin, type SignedWebhook } from '../hmac-auth/index.ts';
import { memoryPlugin } from '../memory/index.ts';
import { type StorageService, storagePlugin } from '../storage/index.ts';
import { AgentMemoryConfig } from './config.ts';
import { clientDataExamples, eraseExamples, postCallDocs, searchExamples } from './docs.ts';
import { clientDataRequest } from './responses.ts';
import { createAgentMemoryService } from './service.ts';
import { backendOf, queueHealth, queueMetrics } from './wiring.ts';

export { type ReplayIo, ReplayUsageError, replayCommand } from './cli.ts';
export { AgentMemoryConfig } from './config.ts';
export type { DeliveryOutcome } from './delivery.ts';
export type { EventRow, EventStatus } from './event-store.ts';
export { extractUserId, type UserIdentity } from './payload.ts';
export type { AgentProfile } from './profile.ts';
export type { ClientDataResponse, SearchResponse } from './responses.ts';
export type { AgentMemoryService, ErasureResult } from './service.ts';

const TAGS = ['webhooks'];

/**
 * A body field ElevenLabs may send as a string, a number (a numeric id or query) or null (a
 * dynamic variable it could not fill): accepted here, read by the handler, never a 422.
 */
const loose = (description?: string) =>
  t.Optional(t.Union([t.String(), t.Number(), t.Null()], description ? { description } : {}));

const ClientDataBody = t.Object(
  {
    caller_id: loose('Caller phone (E.164): the caller memory key. Null, empty or withheld: no memory.'),
    agent_id: loose('The agent being called (required; 400 "Missing agent_id" without it).'),
    called_number: loose('The number the caller dialled; echoed in dynamic_variables.'),
    call_sid: loose('Twilio call SID; echoed in dynamic_variables.'),
  },
  { additionalProperties: true, examples: [clientDataExamples.body] },
);

const SearchBody = t.Object(
  {
    query: loose('What to look for (or search_query); required, 400 "Missing query parameter" without it.'),
    search_query: loose('Same as query (used when query is absent).'),
    user_id: loose('Whose memories (or caller_id); default "unknown".'),
    caller_id: loose('Same as user_id (used when user_id is absent).'),
    limit: loose('Default 5 (also for null or ""), at most 50.'),
  },
  { additionalProperties: true, examples: [searchExamples.body] },
);

/** The agent-memory plugin definition. */
export const agentMemoryPlugin = definePlugin({
  name: 'agent-memory',
  configKey: 'agentMemory',
  envPrefix: 'AGENT_MEMORY',
  schema: AgentMemoryConfig,
  needs: ['hmac-auth', 'header-auth', 'storage', 'cache', 'memory'],
  migrations: fileURLToPath(new URL('../../drizzle/agent-memory', import.meta.url)),
  create(ctx) {
    const storage = ctx.service<StorageService>('storage');
    // SEC-6: bodies are held in storage's quarantine before their signature is checked.
    ctx.service<HmacAuthService>('hmac-auth').useQuarantine(storage.quarantine);
    const memory = ctx.service<unknown>('memory');
    const elevenlabs = createElevenLabsClient(ctx.core.elevenlabs);
    const service = createAgentMemoryService({
      config: ctx.config,
      db: ctx.db,
      clock: ctx.clock,
      logger: ctx.logger,
      owner: ctx.instanceId,
      backend: () => backendOf(memory),
      elevenlabs,
      profileUpstream: createUpstream({
        name: 'elevenlabs-agents',
        maxRetries: ctx.core.resilience.maxRetries,
        baseDelayMs: ctx.core.resilience.baseDelayMs,
        maxDelayMs: ctx.core.resilience.maxDelayMs,
        jitter: 0.1,
        breakerThreshold: ctx.core.resilience.breakerThreshold,
        halfOpenAfterMs: ctx.core.resilience.breakerHalfOpenAfterMs,
        logger: ctx.logger,
        metrics: ctx.metrics,
      }),
      cache: ctx.service<CacheService>('cache'),
      storage,
    });
    queueMetrics(ctx.metrics, service.events, ctx.clock);

    const app = new Elysia({ name: 'elaoms/agent-memory', seed: ctx.config })
      .use(ctx.app('hmac-auth'))
      .use(ctx.app('header-auth'))
      .post(
        '/webhooks/post-call',
        async function postCall(context) {
          const signed = (context as unknown as { signed: SignedWebhook }).signed;
          const answer = await service.postCall({
            raw: signed.raw,
            json: signed.json,
            quarantineId: signed.quarantineId,
            // The id the response echoes (a missing or invalid header was replaced by the core).
            requestId: currentRequestId() ?? requestIdOf(context.request),
          });
          context.set.status = answer.status;
          return answer.body;
        },
        {
          elevenlabsSignature: true,
          detail: {
            ...postCallDocs,
            summary: 'ElevenLabs post-call webhook (transcription, audio, initiation failure)',
            description:
              'Signed with ElevenLabs-Signature. Committed before the answer: {"status":"received","memory_id"} when the memory backend took it within the budget, {"status":"queued","event_id"} otherwise (delivered later). 500 only when nothing could be persisted.',
            tags: TAGS,
          },
        },
      )
      .post(
        '/webhooks/client-data',
        async function clientData({ body, set }) {
          // Stores no file, yet counts toward storage's CLEANUP_FREQUENCY_REQUESTS.
          storage.noteRequest();
          const request = clientDataRequest(body);
          if (!request) {
            set.status = 400;
            return { detail: 'Missing agent_id' };
          }
          return service.clientData(request);
        },
        {
          apiKey: 'webhook',
          // JSON, as ElevenLabs sends it; named so /docs shows the schema behind the auth macro's parser.
          parse: 'json',
          body: ClientDataBody,
          detail: {
            ...clientDataExamples.responses,
            summary: 'ElevenLabs conversation-initiation client data (Twilio personalization)',
            tags: TAGS,
          },
        },
      )
      .post(
        '/webhooks/search-data',
        async function searchData({ body }) {
          storage.noteRequest();
          return service.search(body);
        },
        {
          apiKey: 'webhook',
          // JSON, as ElevenLabs sends it; named so /docs shows the schema behind the auth macro's parser.
          parse: 'json',
          body: SearchBody,
          detail: {
            ...searchExamples.responses,
            summary: 'In-call memory search (ElevenLabs server tool)',
            tags: TAGS,
          },
        },
      )
      .delete(
        '/api/users/:user_id/memories',
        async function eraseUser({ params }) {
          return service.eraseUser(params.user_id);
        },
        {
          apiKey: 'admin',
          params: t.Object({ user_id: t.String({ minLength: 1 }) }),
          detail: {
            ...eraseExamples,
            summary: "Right to erasure: delete a caller's memories, events and files",
            tags: ['admin'],
          },
        },
      );

    return {
      app,
      service,
      start: () => service.start(),
      stop: () => service.stop(),
      health: async () => ({ 'agent-memory.queue': queueHealth(service.events) }),
      notices: () =>
        elevenlabs || ctx.config.firstMessageOverride !== 'auto'
          ? []
          : [
              'agent-memory: ELEVENLABS_API_KEY is not set; agent profiles are not fetched, so client-data sends no first_message override (FIRST_MESSAGE_OVERRIDE=always if the agent allows it)',
            ],
    };
  },
});

/**
 * agent-memory alone, to `.use()` in a host Elysia app: the plugins it needs come along (their
 * sections go in `options.config`). Drive `start()`/`stop()` through `embed` when the host does not
 * `.listen()`, or the delivery worker never runs.
 */
export async function agentMemory(options: EmbedOptions = {}) {
  const available = [hmacAuthPlugin, headerAuthPlugin, storagePlugin, cachePlugin, memoryPlugin];
  return (await embed([agentMemoryPlugin], { ...options, available })).app;
}
