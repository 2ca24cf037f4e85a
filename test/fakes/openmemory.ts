/**
 * Fake OpenMemory: the CaviraOSS HSG Node server (`packages/openmemory-js`, reference
 * memory-backends.md §1), routes and JSON shapes as in §1.4.
 *
 * Two builds: `legacy` (default; before 2026-04-27, e.g. 9d1f44a: fail-open without a key, body
 * `user_id` trusted, no validator) and `tenant` (HEAD: fail-closed 503, user_id derived from the
 * key as sha256(key)[0:16], any other user_id → 403 `tenant_mismatch`, 400 `invalid_input`).
 *
 * Traps reproduced on purpose (our client must design around them):
 * 1. `/memory/query` matches carry NO `metadata` and NO `tags` (only `GET /memory/{id}` and
 *    `GET /users/{id}/memories` return them).
 * 2. Dedup is GLOBAL across users: a text whose simhash is within Hamming 3 of any stored memory
 *    returns that memory's id with `deduplicated: true`, bumps its salience, stores nothing for the
 *    caller and (returning early) does not even create the caller's users row.
 * 3. Content longer than 200 chars is replaced by an "essence" of selected sentences
 *    (`OM_USE_SUMMARY_ONLY=true`); query matching still uses the full original text.
 * 4. `/users/{id}/summary` → 404 `{"error":"user not found"}` until the first (non-deduplicated)
 *    add for that user; afterwards the summary is frozen at "User profile initializing..."
 *    (SQLite bind-order bug), even after `POST …/summary/regenerate`.
 * 5. `DELETE /users/{id}/memories` deletes memories but not the users row: summary stays 200.
 * 6. Scores are z-scores over the candidates: one hit scores 0, two hits +1/−1. Do not threshold.
 * 7. `k` is not a hard cap: up to k + ceil(0.3·k·(1−avg)) matches come back (as in `hsg_query`).
 * 8. Identical queries (same text, k, filters) are answered from a 60 s cache: a memory added or
 *    deleted in between is not reflected (`queryCacheTtlMs`, from `hsg_query`'s result cache).
 * 9. A query without `filters.user_id`/`user_id` searches every user's memories (legacy build).
 * 10. `filters.min_score` filters on salience, not on score. Query failures answer 200 `matches: []`
 *     on the legacy build.
 * 11. Auth: `x-api-key`, `Authorization: Bearer`, `Authorization: ApiKey` all work; no key → 401
 *     `authentication_required`, wrong key → 403 `invalid_api_key`. `/health` is public.
 */
import { createHash } from 'node:crypto';
import { type OmMemory, OpenMemoryStore, type QueryFilters } from './openmemory-store.ts';
import {
  type FakeServer,
  jsonObject,
  matchPath,
  type RecordedRequest,
  type Reply,
  startFakeServer,
} from './server.ts';

export interface OpenMemoryFakeOptions {
  /** `OM_API_KEY`; undefined = not configured (legacy: open, tenant: 503). */
  apiKey?: string;
  build?: 'legacy' | 'tenant';
  useSummaryOnly?: boolean;
  summaryMaxLength?: number;
  metadataBackend?: 'sqlite' | 'postgres';
  /** Result cache of identical queries; 0 disables it. Default 60 000 like the server. */
  queryCacheTtlMs?: number;
}

export interface OpenMemoryFake extends FakeServer {
  store: OpenMemoryStore;
  build: 'legacy' | 'tenant';
  /** The user_id the tenant build derives from a key. */
  tenantOf(apiKey: string): string;
}

const PUBLIC = new Set(['/health', '/api/system/health', '/api/system/stats', '/dashboard/health']);

export function tenantOf(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex').slice(0, 16);
}

export async function startOpenMemoryFake(options: OpenMemoryFakeOptions = {}): Promise<OpenMemoryFake> {
  const build = options.build ?? 'legacy';
  const store = new OpenMemoryStore({
    useSummaryOnly: options.useSummaryOnly ?? true,
    summaryMaxLength: options.summaryMaxLength ?? 200,
    metadataBackend: options.metadataBackend ?? 'sqlite',
    queryCacheTtlMs: options.queryCacheTtlMs ?? 60_000,
  });

  /** Returns an error reply, or the user_id to act as (tenant build) / null (legacy: use the request's). */
  function authorize(req: RecordedRequest): Reply | { tenant: string | null } {
    const given = presentedKey(req.headers);
    if (options.apiKey === undefined) {
      if (build === 'tenant') return { status: 503, body: { error: 'auth_not_configured' } };
      return { tenant: null };
    }
    if (!given)
      return { status: 401, body: { error: 'authentication_required', message: 'API key required' } };
    if (given !== options.apiKey) return { status: 403, body: { error: 'invalid_api_key' } };
    return { tenant: build === 'tenant' ? tenantOf(given) : null };
  }

  function route(req: RecordedRequest): Reply {
    if (PUBLIC.has(req.path) && req.method === 'GET') return { status: 200, body: health() };
    const auth = authorize(req);
    if ('status' in auth) return auth;
    const scope = auth.tenant;
    if (scope !== null) {
      const mismatch = tenantMismatch(req, scope);
      if (mismatch) return mismatch;
    }
    return dispatch(req, scope);
  }

  function dispatch(req: RecordedRequest, tenant: string | null): Reply {
    const { method, path } = req;
    const body = jsonObject(req.body);
    if (path === '/memory/add' && method === 'POST') return add(body, tenant);
    if (path === '/memory/query' && method === 'POST') return query(body, tenant);
    if (path === '/memory/all' && method === 'GET') return all(req, tenant);
    if (path === '/memory/reinforce' && method === 'POST') return reinforce(body);
    const user = matchPath('/users/:user_id/:what', path);
    if (user?.what === 'summary' && method === 'GET') return summary(tenant ?? user.user_id);
    if (user?.what === 'memories' && method === 'GET') return userMemories(req, tenant ?? user.user_id);
    if (user?.what === 'memories' && method === 'DELETE') return deleteUser(tenant ?? user.user_id);
    const regenerate = matchPath('/users/:user_id/summary/regenerate', path);
    if (regenerate && method === 'POST') return regenerateSummary(tenant ?? regenerate.user_id);
    const one = matchPath('/memory/:id', path);
    if (one && method === 'GET') return getOne(one.id, req.query.get('user_id') ?? undefined, tenant);
    if (one && method === 'DELETE')
      return deleteOne(one.id, req.query.get('user_id') ?? stringField(body, 'user_id'), tenant);
    return { status: 404, body: `Cannot ${method} ${path}` };
  }

  function add(body: Record<string, unknown>, tenant: string | null): Reply {
    if (build === 'tenant') {
      const problems = validateAdd(body);
      if (problems.length) return { status: 400, body: { error: 'invalid_input', details: problems } };
    }
    if (typeof body.content !== 'string' || body.content === '')
      return { status: 400, body: { err: 'content' } };
    const tags = Array.isArray(body.tags) ? body.tags.map(String) : [];
    const metadata = jsonObject(body.metadata);
    const userId = tenant ?? stringField(body, 'user_id') ?? null;
    return { status: 200, body: store.add(body.content, tags, metadata, userId) };
  }

  function query(body: Record<string, unknown>, tenant: string | null): Reply {
    if (build === 'tenant') {
      const problems = validateQuery(body);
      if (problems.length) return { status: 400, body: { error: 'invalid_input', details: problems } };
    }
    const filters = jsonObject(body.filters) as QueryFilters;
    const text = typeof body.query === 'string' ? body.query : '';
    const k = typeof body.k === 'number' && body.k > 0 ? body.k : 8;
    const userId = tenant ?? (filters.user_id || stringField(body, 'user_id'));
    const matches = store.query(text, k, { ...filters, user_id: userId });
    return { status: 200, body: { query: body.query, matches } };
  }

  function all(req: RecordedRequest, tenant: string | null): Reply {
    const limit = intParam(req, 'l', 100);
    const offset = intParam(req, 'u', 0);
    const userId = tenant ?? req.query.get('user_id');
    const sector = req.query.get('sector');
    const rows = [...store.memories.values()]
      .filter((m) => (userId ? m.user_id === userId : sector ? m.primary_sector === sector : true))
      .sort((a, b) => b.created_at - a.created_at)
      .slice(offset, offset + limit);
    return { status: 200, body: { items: rows.map((m) => ({ ...item(m), user_id: m.user_id })) } };
  }

  function reinforce(body: Record<string, unknown>): Reply {
    const id = stringField(body, 'id');
    if (!id) return { status: 400, body: { err: 'id' } };
    const memory = store.memories.get(id);
    if (!memory) return { status: 404, body: { err: 'nf' } };
    memory.salience = Math.min(1, memory.salience + (typeof body.boost === 'number' ? body.boost : 0.1));
    return { status: 200, body: { ok: true } };
  }

  function summary(userId: string): Reply {
    const user = store.users.get(userId);
    if (!user) return { status: 404, body: { error: 'user not found' } };
    const { summary: text, reflection_count, updated_at } = user;
    return { status: 200, body: { user_id: user.user_id, summary: text, reflection_count, updated_at } };
  }

  function regenerateSummary(userId: string): Reply {
    store.regenerate(userId);
    const user = store.users.get(userId);
    return {
      status: 200,
      body: { ok: true, user_id: userId, summary: user?.summary, reflection_count: user?.reflection_count },
    };
  }

  function userMemories(req: RecordedRequest, userId: string): Reply {
    const limit = intParam(req, 'l', 100);
    const offset = intParam(req, 'u', 0);
    if (!Number.isFinite(limit) || !Number.isFinite(offset) || limit < 0 || offset < 0 || limit > 10_000) {
      return { status: 400, body: { error: 'invalid_pagination' } };
    }
    return {
      status: 200,
      body: { user_id: userId, items: store.listByUser(userId, limit, offset).map(item) },
    };
  }

  function deleteUser(userId: string): Reply {
    return { status: 200, body: { ok: true, deleted: store.deleteByUser(userId) } };
  }

  function getOne(id: string, userId: string | undefined, tenant: string | null): Reply {
    const memory = store.memories.get(id);
    if (!memory) return { status: 404, body: { err: 'nf' } };
    const owner = tenant ?? userId;
    if (owner && memory.user_id !== owner) return { status: 403, body: { err: 'forbidden' } };
    return {
      status: 200,
      body: { ...item(memory), sectors: [memory.primary_sector], user_id: memory.user_id },
    };
  }

  function deleteOne(id: string, userId: string | undefined, tenant: string | null): Reply {
    const memory = store.memories.get(id);
    if (!memory) return { status: 404, body: { err: 'nf' } };
    const owner = tenant ?? userId;
    if (owner && memory.user_id !== owner) return { status: 403, body: { err: 'forbidden' } };
    store.memories.delete(id);
    return { status: 200, body: { ok: true } };
  }

  const server = await startFakeServer({ handle: route, errorBody: errorForStatus });
  return { ...server, store, build, tenantOf };
}

function presentedKey(headers: Record<string, string>): string | undefined {
  if (headers['x-api-key']) return headers['x-api-key'];
  const authorization = headers.authorization ?? '';
  const match = /^(Bearer|ApiKey)\s+(.+)$/i.exec(authorization);
  return match ? match[2].trim() : undefined;
}

/** Tenant build: any user_id in body, filters, query string or path must equal the tenant. */
function tenantMismatch(req: RecordedRequest, tenant: string): Reply | undefined {
  const body = jsonObject(req.body);
  const claimed = [
    stringField(body, 'user_id'),
    stringField(jsonObject(body.filters), 'user_id'),
    req.query.get('user_id') ?? undefined,
    matchPath('/users/:user_id/:rest', req.path)?.user_id,
    matchPath('/users/:user_id/summary/regenerate', req.path)?.user_id,
  ];
  if (claimed.some((id) => id !== undefined && id !== tenant)) {
    return {
      status: 403,
      body: { error: 'tenant_mismatch', message: 'user_id does not match the authenticated tenant' },
    };
  }
  return undefined;
}

function validateAdd(body: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (typeof body.content !== 'string') problems.push('content: required');
  else if (body.content.length < 1) problems.push('content: length < 1');
  else if (body.content.length > 200_000) problems.push('content: length > 200000');
  if (body.tags !== undefined && (!Array.isArray(body.tags) || body.tags.length > 64))
    problems.push('tags: invalid');
  return problems;
}

function validateQuery(body: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (typeof body.query !== 'string') problems.push('query: required');
  else if (body.query.length > 8192) problems.push('query: length > 8192');
  if (body.k !== undefined && (typeof body.k !== 'number' || body.k < 1 || body.k > 200))
    problems.push('k: out of range');
  return problems;
}

function item(m: OmMemory) {
  return {
    id: m.id,
    content: m.content,
    tags: m.tags,
    metadata: m.metadata,
    created_at: m.created_at,
    updated_at: m.updated_at,
    last_seen_at: m.last_seen_at,
    salience: m.salience,
    decay_lambda: m.decay_lambda,
    primary_sector: m.primary_sector,
    version: m.version,
  };
}

function health() {
  return {
    ok: true,
    version: '2.0-hsg-tiered',
    embedding: { provider: 'synthetic', dimensions: 1536 },
    tier: 'hybrid',
    dim: 1536,
    cache: 500,
    expected: { recall: 70, qps: '100-110', ram: '1.5GB/10k memories' },
  };
}

function errorForStatus(status: number): unknown {
  if (status === 401) return { error: 'authentication_required', message: 'API key required' };
  if (status === 403) return { error: 'invalid_api_key' };
  if (status === 429) return { error: 'rate_limit_exceeded', message: 'Too many requests' };
  return { err: 'internal' };
}

function stringField(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function intParam(req: RecordedRequest, name: string, fallback: number): number {
  const raw = req.query.get(name);
  return raw === null ? fallback : Number.parseInt(raw, 10);
}
