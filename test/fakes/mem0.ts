/**
 * Fake mem0 REST API (reference memory-backends.md §3.1–3.2). `flavour` picks the server:
 *
 * `oss` — the self-hosted FastAPI server (`server/main.py`): `X-API-Key: <key>` or
 * `Authorization: Bearer <key>` (no key configured = `AUTH_DISABLED`); `POST /memories`,
 * `GET /memories?user_id|agent_id|run_id&top_k`, `GET|PUT|DELETE /memories/{id}`,
 * `GET /memories/{id}/history`, `DELETE /memories?user_id…` (an id is required),
 * `POST /search {query, filters:{user_id}, top_k, threshold}` (top-level ids accepted, deprecated),
 * `POST /reset`. Errors are FastAPI `{"detail": …}`.
 *
 * `platform` — the hosted API (`Authorization: Token <key>`, trailing slashes, DRF errors):
 * `GET /v1/ping/`, `POST /v3/memories/add/` (and legacy `POST /v1/memories/`),
 * `POST /v3/memories/search/` (entity ids only inside `filters`, else 400),
 * `POST /v3/memories/?page&page_size {filters}`, `GET|DELETE /v1/memories/?user_id…`,
 * `GET|PUT|DELETE /v1/memories/{id}/`, `GET /v1/event/{event_id}/`.
 * Trap reproduced: with `infer` true (the default) the platform add is ASYNCHRONOUS: it answers
 * `{status:"PENDING", event_id}` and the memories appear only when the event has run
 * (`eventDelayMs`, or `flush()`); `infer: false` answers synchronously with the memory ids
 * (that split is UNCONFIRMED upstream beyond third-party code).
 *
 * Both: `infer: false` stores every message (user and assistant) verbatim; `infer: true` stands in
 * for LLM extraction by storing the user messages only. Scores are lexical overlap in 0..1.
 */
import {
  type Entities,
  entitiesOf,
  filterEntities,
  hasEntity,
  type Mem0Memory,
  Mem0Store,
  type Message,
} from './mem0-store.ts';
import {
  type FakeServer,
  jsonObject,
  matchPath,
  type RecordedRequest,
  type Reply,
  startFakeServer,
} from './server.ts';

export interface Mem0FakeOptions {
  flavour?: 'oss' | 'platform';
  /** oss: undefined = auth disabled. platform: default `test-mem0-key`. */
  apiKey?: string;
  /** Platform: how long an async add stays PENDING (default 20 ms). */
  eventDelayMs?: number;
}

export interface Mem0Event {
  id: string;
  status: 'PENDING' | 'SUCCEEDED';
  results: Mem0Memory[];
  run: () => Promise<void>;
}

export interface Mem0Fake extends FakeServer {
  flavour: 'oss' | 'platform';
  store: Mem0Store;
  events: Map<string, Mem0Event>;
  /** Platform: run every pending add now. */
  flush(): Promise<void>;
}

export async function startMem0Fake(options: Mem0FakeOptions = {}): Promise<Mem0Fake> {
  const flavour = options.flavour ?? 'oss';
  const apiKey = flavour === 'platform' ? (options.apiKey ?? 'test-mem0-key') : options.apiKey;
  const store = new Mem0Store();
  const events = new Map<string, Mem0Event>();
  const timers = new Set<ReturnType<typeof setTimeout>>();

  function parseMessages(body: Record<string, unknown>): Message[] | undefined {
    if (!Array.isArray(body.messages)) return undefined;
    const messages: Message[] = [];
    for (const raw of body.messages) {
      const m = jsonObject(raw);
      if (typeof m.role !== 'string' || typeof m.content !== 'string') return undefined;
      messages.push({ role: m.role, content: m.content });
    }
    return messages;
  }

  async function ossRoute(req: RecordedRequest): Promise<Reply> {
    const denied = ossAuth(req.headers, apiKey);
    if (denied) return denied;
    const { method, path } = req;
    const body = jsonObject(req.body);
    if (path === '/memories' && method === 'POST') {
      const messages = parseMessages(body);
      if (!messages) return fastApiMissing('messages', req.body);
      const entities = entitiesOf(body);
      if (!hasEntity(entities))
        return detail(400, 'At least one identifier (user_id, agent_id, run_id) is required.');
      const created = await store.add(messages, entities, jsonObject(body.metadata), body.infer !== false);
      return {
        status: 200,
        body: { results: created.map((m) => ({ id: m.id, memory: m.memory, event: 'ADD' })) },
      };
    }
    if (path === '/memories' && method === 'GET') {
      const entities = entitiesOf(Object.fromEntries(req.query));
      const topK = Number.parseInt(req.query.get('top_k') ?? '100', 10);
      return { status: 200, body: { results: store.list(entities).slice(0, topK).map(ossItem) } };
    }
    if (path === '/memories' && method === 'DELETE') {
      const entities = entitiesOf(Object.fromEntries(req.query));
      if (!hasEntity(entities)) return detail(400, 'At least one identifier is required.');
      store.deleteWhere(entities);
      return { status: 200, body: { message: 'All relevant memories deleted' } };
    }
    if (path === '/search' && method === 'POST') return ossSearch(body);
    if (path === '/reset' && method === 'POST') {
      store.memories.clear();
      return { status: 200, body: { message: 'All memories reset' } };
    }
    const history = matchPath('/memories/:id/history', path);
    if (history && method === 'GET') return { status: 200, body: [] };
    const one = matchPath('/memories/:id', path);
    if (one)
      return memoryById(req, one.id, ossItem, {
        updated: 'Memory updated successfully!',
        deleted: 'Memory deleted successfully',
      });
    return detail(404, 'Not Found');
  }

  function ossSearch(body: Record<string, unknown>): Reply {
    if (typeof body.query !== 'string') return fastApiMissing('query', body);
    const wanted: Entities = { ...entitiesOf(body), ...filterEntities(body.filters) };
    if (!hasEntity(wanted)) {
      return detail(400, "At least one of 'user_id', 'agent_id', or 'run_id' must be provided in filters.");
    }
    const topK = typeof body.top_k === 'number' ? body.top_k : 10;
    const threshold = typeof body.threshold === 'number' ? body.threshold : 0;
    const hits = store.search(body.query, wanted, topK, threshold);
    return {
      status: 200,
      body: { results: hits.map((hit) => ({ ...ossItem(hit.memory), score: hit.score })) },
    };
  }

  function memoryById(
    req: RecordedRequest,
    id: string,
    shape: (m: Mem0Memory) => Record<string, unknown>,
    messages: { updated: string; deleted: string },
  ): Reply {
    const memory = store.memories.get(id);
    if (!memory) return detail(404, 'Memory not found');
    if (req.method === 'GET') return { status: 200, body: shape(memory) };
    if (req.method === 'PUT') {
      const body = jsonObject(req.body);
      if (typeof body.text === 'string') memory.memory = body.text;
      if (body.metadata !== undefined) memory.metadata = jsonObject(body.metadata);
      memory.updated_at = new Date().toISOString();
      return { status: 200, body: { message: messages.updated } };
    }
    if (req.method === 'DELETE') {
      store.memories.delete(id);
      return { status: 200, body: { message: messages.deleted } };
    }
    return detail(405, 'Method Not Allowed');
  }

  async function platformAdd(body: Record<string, unknown>): Promise<Reply> {
    const messages = parseMessages(body);
    if (!messages) return detail(400, 'messages: This field is required.');
    const entities = entitiesOf(body);
    if (!hasEntity(entities))
      return detail(400, 'At least one of user_id, agent_id, app_id or run_id is required.');
    const metadata = jsonObject(body.metadata);
    if (body.infer === false) {
      const created = await store.add(messages, entities, metadata, false);
      return {
        status: 200,
        body: { results: created.map((m) => ({ id: m.id, memory: m.memory, event: 'ADD' })) },
      };
    }
    const event: Mem0Event = {
      id: crypto.randomUUID(),
      status: 'PENDING',
      results: [],
      run: async function runEvent() {
        if (event.status !== 'PENDING') return;
        event.status = 'SUCCEEDED';
        event.results = await store.add(messages, entities, metadata, true);
      },
    };
    events.set(event.id, event);
    const timer = setTimeout(function process() {
      timers.delete(timer);
      void event.run();
    }, options.eventDelayMs ?? 20);
    timers.add(timer);
    const message = 'Memory processing has been queued for background execution';
    return { status: 200, body: { message, status: 'PENDING', event_id: event.id } };
  }

  function platformSearch(body: Record<string, unknown>): Reply {
    if (typeof body.query !== 'string') return detail(400, 'query: This field is required.');
    if (hasEntity(entitiesOf(body))) {
      return detail(
        400,
        'Top-level entity parameters are not supported. Pass user_id, agent_id, app_id or run_id inside filters.',
      );
    }
    const wanted = filterEntities(body.filters);
    if (!hasEntity(wanted))
      return detail(400, 'filters must contain at least one of user_id, agent_id, app_id or run_id.');
    const topK = typeof body.top_k === 'number' ? body.top_k : 10;
    const threshold = typeof body.threshold === 'number' ? body.threshold : 0.1;
    const hits = store.search(body.query, wanted, topK, threshold);
    return {
      status: 200,
      body: { results: hits.map((hit) => ({ ...platformItem(hit.memory), score: hit.score })) },
    };
  }

  function platformList(req: RecordedRequest, body: Record<string, unknown>): Reply {
    const page = Math.max(1, Number.parseInt(req.query.get('page') ?? '1', 10));
    const size = Math.max(1, Number.parseInt(req.query.get('page_size') ?? '100', 10));
    const all = store.list(filterEntities(body.filters));
    const results = all.slice((page - 1) * size, page * size).map(platformItem);
    const next = page * size < all.length ? `/v3/memories/?page=${page + 1}&page_size=${size}` : null;
    const previous = page > 1 ? `/v3/memories/?page=${page - 1}&page_size=${size}` : null;
    return { status: 200, body: { count: all.length, next, previous, results } };
  }

  async function platformRoute(req: RecordedRequest): Promise<Reply> {
    const denied = platformAuth(req.headers.authorization, apiKey ?? '');
    if (denied) return denied;
    const { method, path } = req;
    const body = jsonObject(req.body);
    if (path === '/v1/ping/' && method === 'GET') {
      const ping = { status: 'ok', message: 'API key is valid', org_id: 'org_fake', project_id: 'proj_fake' };
      return { status: 200, body: { ...ping, user_email: 'owner@example.com' } };
    }
    if ((path === '/v3/memories/add/' || path === '/v1/memories/') && method === 'POST')
      return platformAdd(body);
    if (path === '/v3/memories/search/' && method === 'POST') return platformSearch(body);
    if (path === '/v3/memories/' && method === 'POST') return platformList(req, body);
    if (path === '/v1/memories/' && method === 'GET') {
      return { status: 200, body: store.list(entitiesOf(Object.fromEntries(req.query))).map(platformItem) };
    }
    if (path === '/v1/memories/' && method === 'DELETE') {
      const entities = entitiesOf(Object.fromEntries(req.query));
      if (!hasEntity(entities)) return detail(400, 'At least one filter is required to delete all memories.');
      store.deleteWhere(entities);
      return { status: 200, body: { message: 'Memories deleted successfully!' } };
    }
    const event = matchPath('/v1/event/:id/', path);
    if (event && method === 'GET') return eventReply(events.get(event.id));
    const one = matchPath('/v1/memories/:id/', path);
    if (one)
      return memoryById(req, one.id, platformItem, {
        updated: 'Memory updated successfully!',
        deleted: 'Memory deleted successfully!',
      });
    return detail(404, 'Not found.');
  }

  const server = await startFakeServer({
    handle: flavour === 'platform' ? platformRoute : ossRoute,
    errorBody: (status) => ({ detail: status === 429 ? 'Request was throttled.' : `HTTP ${status}` }),
  });

  async function flush(): Promise<void> {
    for (const event of events.values()) await event.run();
  }

  async function close(): Promise<void> {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    await server.close();
  }

  return { ...server, close, flavour, store, events, flush };
}

function eventReply(event: Mem0Event | undefined): Reply {
  if (!event) return detail(404, 'Event not found.');
  const results = event.results.map((m) => ({ id: m.id, event: 'ADD', data: { memory: m.memory } }));
  return { status: 200, body: { id: event.id, event_type: 'ADD', status: event.status, results } };
}

function ossAuth(headers: Record<string, string>, apiKey: string | undefined): Reply | undefined {
  if (apiKey === undefined) return undefined;
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1];
  const given = headers['x-api-key'] ?? bearer;
  if (!given) return detail(401, 'Not authenticated');
  if (given !== apiKey) return detail(401, 'Invalid API key');
  return undefined;
}

function platformAuth(authorization: string | undefined, apiKey: string): Reply | undefined {
  const token = /^Token\s+(.+)$/i.exec(authorization ?? '')?.[1];
  if (!token) return detail(401, 'Authentication credentials were not provided.');
  if (token !== apiKey) return detail(401, 'Invalid token.');
  return undefined;
}

function detail(status: number, message: string): Reply {
  return { status, body: { detail: message } };
}

function fastApiMissing(field: string, input: unknown): Reply {
  return {
    status: 422,
    body: { detail: [{ type: 'missing', loc: ['body', field], msg: 'Field required', input }] },
  };
}

function ossItem(m: Mem0Memory): Record<string, unknown> {
  const item: Record<string, unknown> = {
    id: m.id,
    memory: m.memory,
    hash: m.hash,
    metadata: m.metadata,
    created_at: m.created_at,
    updated_at: m.updated_at,
  };
  for (const key of ['user_id', 'agent_id', 'run_id'] as const) if (m[key]) item[key] = m[key];
  return item;
}

function platformItem(m: Mem0Memory): Record<string, unknown> {
  return {
    id: m.id,
    memory: m.memory,
    user_id: m.user_id ?? null,
    agent_id: m.agent_id ?? null,
    app_id: m.app_id ?? null,
    run_id: m.run_id ?? null,
    hash: m.hash,
    metadata: m.metadata,
    categories: [],
    created_at: m.created_at,
    updated_at: m.updated_at,
    expiration_date: null,
  };
}
