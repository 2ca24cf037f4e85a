/**
 * The mem0 backend: the self-hosted REST server (`oss`: `X-API-Key`, `POST /memories`, `POST /search`,
 * `GET|DELETE /memories?user_id=`) or the hosted platform (`platform`: `Authorization: Token`,
 * `/v3/memories/add/`, `/v3/memories/search/`, `/v3/memories/`, `DELETE /v1/memories/?user_id=`).
 * Texts are stored verbatim (`infer: false`: no LLM, one memory per piece, metadata kept), the
 * caller is always the `user_id` entity, the agent goes into metadata only.
 */
import { createHttpClient, type HttpClient, probe } from './http.ts';
import {
  createRemoteBackend,
  type HttpBackendOptions,
  type RawMemory,
  type RemoteAdapter,
} from './remote.ts';
import type { MemoryBackend, Scope } from './types.ts';

export interface Mem0Options extends HttpBackendOptions {
  flavour: 'oss' | 'platform';
  /** Default: http://localhost:8000 (oss) or https://api.mem0.ai (platform). */
  url?: string;
}

interface Mem0Item {
  id: string;
  memory: string;
  metadata?: Record<string, unknown> | null;
  created_at?: string;
  createdAt?: string;
  score?: number;
}

const PROBE_MS = 5000;

export const MEM0_DEFAULT_URLS = { oss: 'http://localhost:8000', platform: 'https://api.mem0.ai' } as const;

function raw(item: Mem0Item): RawMemory {
  return {
    id: String(item.id),
    content: item.memory ?? '',
    createdAt: item.created_at ?? item.createdAt,
    ...(typeof item.score === 'number' ? { score: item.score } : {}),
    metadata: item.metadata ?? {},
  };
}

function resultsOf(body: unknown): Mem0Item[] {
  if (Array.isArray(body)) return body as Mem0Item[];
  const results = (body as { results?: unknown } | null)?.results;
  return Array.isArray(results) ? (results as Mem0Item[]) : [];
}

function firstId(body: unknown): string {
  const first = resultsOf(body)[0] as { id?: unknown } | undefined;
  if (first?.id !== undefined) return String(first.id);
  const event = (body as { event_id?: unknown } | null)?.event_id;
  return event === undefined ? '' : `event:${String(event)}`;
}

/** Add and search are the same call on both flavours, at different paths. */
function addAndSearch(
  http: HttpClient,
  paths: { add: string; search: string },
): Pick<RemoteAdapter, 'add' | 'search'> {
  return {
    async add(scope, content, metadata) {
      const body = await http.request({
        method: 'POST',
        path: paths.add,
        body: { messages: [{ role: 'user', content }], user_id: scope.userId, metadata, infer: false },
      });
      return { id: firstId(body), merged: false };
    },
    async search(scope, query, limit) {
      const body = await http.request({
        method: 'POST',
        path: paths.search,
        body: { query, filters: { user_id: scope.userId }, top_k: limit },
      });
      return resultsOf(body).map(raw);
    },
  };
}

function ossAdapter(http: HttpClient): RemoteAdapter {
  async function list(scope: Scope, limit: number) {
    const body = await http.request({
      method: 'GET',
      path: '/memories',
      query: { user_id: scope.userId, top_k: limit },
    });
    return resultsOf(body).map(raw);
  }
  return {
    ...addAndSearch(http, { add: '/memories', search: '/search' }),
    list,
    async deleteAll(scope) {
      const count = (await list(scope, 10_000)).length;
      await http.request({ method: 'DELETE', path: '/memories', query: { user_id: scope.userId } });
      return count;
    },
    async delete(_scope, id) {
      await http.request({ method: 'DELETE', path: `/memories/${encodeURIComponent(id)}`, allow: [404] });
    },
    // The server has no health route; a listing for a probe user checks reachability and the key.
    health: () =>
      probe(http, {
        method: 'GET',
        path: '/memories',
        query: { user_id: 'elaoms-health-probe', top_k: 1 },
        probeTimeoutMs: PROBE_MS,
      }),
  };
}

function platformAdapter(http: HttpClient): RemoteAdapter {
  async function listPage(scope: Scope, limit: number) {
    const body = await http.request<{ count?: number; results?: Mem0Item[] }>({
      method: 'POST',
      path: '/v3/memories/',
      query: { page: 1, page_size: limit },
      body: { filters: { user_id: scope.userId } },
    });
    return { count: Number(body?.count ?? 0), items: resultsOf(body).map(raw) };
  }
  return {
    ...addAndSearch(http, { add: '/v3/memories/add/', search: '/v3/memories/search/' }),
    list: async (scope, limit) => (await listPage(scope, limit)).items,
    async deleteAll(scope) {
      const { count } = await listPage(scope, 1);
      await http.request({ method: 'DELETE', path: '/v1/memories/', query: { user_id: scope.userId } });
      return count;
    },
    async delete(_scope, id) {
      await http.request({ method: 'DELETE', path: `/v1/memories/${encodeURIComponent(id)}/`, allow: [404] });
    },
    health: () => probe(http, { method: 'GET', path: '/v1/ping/', probeTimeoutMs: PROBE_MS }),
  };
}

export function createMem0Backend(options: Mem0Options): MemoryBackend {
  const headers: Record<string, string> =
    options.flavour === 'platform'
      ? { authorization: `Token ${options.apiKey}` }
      : { 'x-api-key': options.apiKey };
  const http = createHttpClient({
    name: `mem0-${options.flavour}`,
    baseUrl: options.url ?? MEM0_DEFAULT_URLS[options.flavour],
    headers,
    timeoutMs: options.timeoutMs,
    upstream: options.upstream,
    fetch: options.fetch,
  });
  return createRemoteBackend({
    name: 'mem0',
    caps: { nativeSummary: false, semantic: true, metadataInSearch: true },
    clock: options.clock,
    chunkChars: options.chunkChars ?? 1000,
    tagged: false,
    searchLimitDefault: options.searchLimitDefault,
    searchLimitMax: options.searchLimitMax,
    adapter: options.flavour === 'platform' ? platformAdapter(http) : ossAdapter(http),
  });
}
