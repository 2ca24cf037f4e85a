/**
 * The OpenMemory backend (CaviraOSS HSG server, INT-2): `X-API-Key`, `/memory/add`, `/memory/query`
 * with `filters.user_id` and `k`, `/users/{id}/summary` (404 = unknown caller), `/users/{id}/memories`.
 * Its traps and what we do about each are in docs/memory-backends.md; in short: texts are short and
 * tagged, metadata is read from the user listing, the native summary is only an existence check.
 */
import { createHttpClient, probe } from './http.ts';
import { createRemoteBackend, type HttpBackendOptions, type RawMemory } from './remote.ts';
import type { MemoryBackend, MemoryBackendError, Scope } from './types.ts';

export interface OpenMemoryOptions extends HttpBackendOptions {
  url: string;
}

interface OmItem {
  id: string;
  content: string;
  metadata?: Record<string, unknown>;
  created_at?: number;
}

interface OmMatch {
  id: string;
  content: string;
  score?: number;
}

function iso(ms: number | undefined): string | undefined {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

const DAY_MS = 86_400_000;
const PROBE_MS = 5000;

function explainProbe(error: MemoryBackendError): string {
  if (error.status === 403 && error.message.includes('tenant_mismatch')) {
    return 'OpenMemory derives user_id from the API key (build from 2026-04-27 or later): it cannot keep callers apart';
  }
  if (error.status === 401 || error.status === 403)
    return `OpenMemory rejected OPENMEMORY_API_KEY (${error.status})`;
  return error.message;
}

export function createOpenMemoryBackend(options: OpenMemoryOptions): MemoryBackend {
  const http = createHttpClient({
    name: 'openmemory',
    baseUrl: options.url,
    headers: { 'x-api-key': options.apiKey },
    timeoutMs: options.timeoutMs,
    upstream: options.upstream,
    fetch: options.fetch,
  });
  const userPath = (scope: Scope, what: string) => `/users/${encodeURIComponent(scope.userId)}/${what}`;

  async function list(scope: Scope, limit: number): Promise<RawMemory[]> {
    const body = await http.request<{ items?: OmItem[] }>({
      method: 'GET',
      path: userPath(scope, 'memories'),
      query: { l: limit, u: 0 },
    });
    return (body?.items ?? []).map((item) => ({
      id: item.id,
      content: item.content,
      createdAt: iso(item.created_at),
      metadata: item.metadata ?? {},
    }));
  }

  return createRemoteBackend({
    name: 'openmemory',
    caps: { nativeSummary: false, semantic: true, metadataInSearch: false },
    clock: options.clock,
    chunkChars: options.chunkChars ?? 200,
    tagged: true,
    searchLimitDefault: options.searchLimitDefault,
    searchLimitMax: options.searchLimitMax,
    adapter: {
      async add(scope, content, metadata) {
        const tags = ['elaoms', String(metadata.kind ?? 'memory')];
        const body = await http.request<{ id: string; deduplicated?: boolean }>({
          method: 'POST',
          path: '/memory/add',
          body: { content, tags, metadata, user_id: scope.userId },
        });
        return { id: String(body?.id ?? ''), merged: body?.deduplicated === true };
      },
      list,
      async search(scope, query, limit) {
        // endTime changes every call: it defeats the server's 60 s cache of identical queries, which
        // would otherwise keep answering with memories erased a moment ago.
        const filters = { user_id: scope.userId, endTime: options.clock.now() + DAY_MS };
        const body = await http.request<{ matches?: OmMatch[] }>({
          method: 'POST',
          path: '/memory/query',
          body: { query: query.slice(0, 8192), k: limit, filters },
        });
        // `k` is not a hard cap on this server, and the score is not comparable: keep the order.
        return (body?.matches ?? [])
          .slice(0, limit)
          .map((m) => ({ id: m.id, content: m.content, score: m.score }));
      },
      async deleteAll(scope) {
        const body = await http.request<{ deleted?: number }>({
          method: 'DELETE',
          path: userPath(scope, 'memories'),
        });
        return Number(body?.deleted ?? 0);
      },
      async delete(scope, id) {
        await http.request({
          method: 'DELETE',
          path: `/memory/${encodeURIComponent(id)}`,
          query: { user_id: scope.userId },
          allow: [404],
        });
      },
      async userKnown(scope) {
        const body = await http.request({ method: 'GET', path: userPath(scope, 'summary'), allow: [404] });
        return body !== null;
      },
      // /health is public on this server; asking for an unknown user's summary also checks the key
      // and that the server honours our user_id (builds from 2026-04-27 answer 403 tenant_mismatch).
      health: () =>
        probe(
          http,
          {
            method: 'GET',
            path: '/users/elaoms-health-probe/summary',
            allow: [404],
            probeTimeoutMs: PROBE_MS,
          },
          explainProbe,
        ),
    },
  });
}
