/**
 * Fake ElevenLabs API (reference elevenlabs.md §1.5, §5, §6), driven by the official SDK
 * `@elevenlabs/elevenlabs-js@2.73.0` in tests. Routes (as the SDK calls them):
 *
 * - `GET  /v1/user`                                  health check (`client.user.get()`)
 * - `GET  /v1/convai/agents/{agent_id}`              `conversationalAi.agents.get`, 404 `agent_not_found`
 * - `PATCH /v1/convai/agents/{agent_id}`             `conversationalAi.agents.update` (deep merge, arrays replace)
 * - `GET  /v1/convai/knowledge-base`                 `conversationalAi.knowledgeBase.list` (page_size ≤ 100, cursor, search, types)
 * - `POST /v1/convai/knowledge-base/text`            `…knowledgeBase.documents.createFromText` (JSON)
 * - `POST /v1/convai/knowledge-base/url`             `…documents.createFromUrl` (JSON)
 * - `POST /v1/convai/knowledge-base/file`            `…documents.createFromFile` (multipart `file`, `name`, `parent_folder_id`)
 * - `GET  /v1/convai/knowledge-base/{id}`            `…documents.get`
 * - `PATCH /v1/convai/knowledge-base/{id}`           `…documents.update` (rename)
 * - `GET  /v1/convai/knowledge-base/{id}/content`    `…documents.getContent`
 * - `DELETE /v1/convai/knowledge-base/{id}?force=`   `…documents.delete` → 200 `{}`
 *
 * Every route needs `xi-api-key`; missing/wrong → 401 with ElevenLabs' error shape. Missing
 * required fields → 422 FastAPI shape (the only status the SDK maps to a named error class).
 * Assumption (UNCONFIRMED upstream, reference §5 open point 3): deleting a document that an agent
 * still references without `force=true` → 400 `document_in_use`; with force it is detached.
 */
import { type AgentSeed, buildAgent, type Json, mergeAgent } from './elevenlabs-agent.ts';
import { errorBody, errorForStatus, requestId, validationError } from './elevenlabs-errors.ts';
import {
  documentDetail,
  documentSummary,
  type KbDocument,
  listPage,
  newDocumentId,
} from './elevenlabs-kb.ts';
import {
  type FakeServer,
  isUploadedFile,
  jsonObject,
  matchPath,
  type RecordedRequest,
  type Reply,
  startFakeServer,
} from './server.ts';

export interface ElevenLabsFakeOptions {
  /** The only accepted `xi-api-key` (default `test-xi-api-key`). */
  apiKey?: string;
  /** Agents present from the start. */
  agents?: AgentSeed[];
}

export interface ElevenLabsFake extends FakeServer {
  apiKey: string;
  /** Stored agent documents by id; edit them freely. */
  agents: Map<string, Json>;
  /** Knowledge-base documents by id, in creation order. */
  documents: Map<string, KbDocument>;
  /** Ids deleted through the API, in order. */
  deletedDocumentIds: string[];
  addAgent(seed?: AgentSeed): Json;
  updateAgent(agentId: string, patch: Json): Json;
}

const KB = '/v1/convai/knowledge-base';

export async function startElevenLabsFake(options: ElevenLabsFakeOptions = {}): Promise<ElevenLabsFake> {
  const apiKey = options.apiKey ?? 'test-xi-api-key';
  const agents = new Map<string, Json>();
  const documents = new Map<string, KbDocument>();
  const deletedDocumentIds: string[] = [];

  function addAgent(seed: AgentSeed = {}): Json {
    const agent = buildAgent(seed);
    agents.set(agent.agent_id, agent);
    return agent;
  }

  function updateAgent(agentId: string, patch: Json): Json {
    const agent = agents.get(agentId);
    if (!agent) throw new Error(`fake ElevenLabs: no agent ${agentId}`);
    mergeAgent(agent, patch);
    agent.metadata.updated_at_unix_secs = Math.floor(Date.now() / 1000);
    return agent;
  }

  for (const seed of options.agents ?? []) addAgent(seed);

  function agentsUsing(documentId: string): string[] {
    const ids: string[] = [];
    for (const agent of agents.values()) {
      const locators: Array<{ id: string }> = agent.conversation_config?.agent?.prompt?.knowledge_base ?? [];
      if (locators.some((locator) => locator.id === documentId)) ids.push(agent.agent_id);
    }
    return ids;
  }

  function detach(documentId: string): void {
    for (const agent of agents.values()) {
      const prompt = agent.conversation_config?.agent?.prompt;
      if (Array.isArray(prompt?.knowledge_base)) {
        prompt.knowledge_base = prompt.knowledge_base.filter(
          (locator: { id: string }) => locator.id !== documentId,
        );
      }
    }
  }

  function store(doc: Omit<KbDocument, 'id' | 'createdAt' | 'updatedAt'>): Reply {
    const now = Math.floor(Date.now() / 1000);
    const created: KbDocument = { ...doc, id: newDocumentId(), createdAt: now, updatedAt: now };
    documents.set(created.id, created);
    return { status: 200, body: { id: created.id, name: created.name, folder_path: [] } };
  }

  function createText(req: RecordedRequest): Reply {
    const body = jsonObject(req.body);
    if (typeof body.text !== 'string') return { status: 422, body: validationError('text', req.body) };
    const name = typeof body.name === 'string' && body.name !== '' ? body.name : body.text.slice(0, 50);
    return store({ type: 'text', name, text: body.text, ...folderAndExtra(body, ['text', 'name']) });
  }

  function createUrl(req: RecordedRequest): Reply {
    const body = jsonObject(req.body);
    if (typeof body.url !== 'string') return { status: 422, body: validationError('url', req.body) };
    const name = typeof body.name === 'string' && body.name !== '' ? body.name : body.url;
    return store({ type: 'url', name, url: body.url, ...folderAndExtra(body, ['url', 'name']) });
  }

  function createFile(req: RecordedRequest): Reply {
    const form = jsonObject(req.body);
    const file = form.file;
    if (!isUploadedFile(file)) return { status: 422, body: validationError('file', null) };
    const name = typeof form.name === 'string' && form.name !== '' ? form.name : file.filename;
    return store({
      type: 'file',
      name,
      filename: file.filename,
      fileType: file.type,
      bytes: file.bytes,
      text: new TextDecoder().decode(file.bytes),
      ...folderAndExtra(form, ['file', 'name']),
    });
  }

  function list(req: RecordedRequest): Reply {
    const pageSize = Number.parseInt(req.query.get('page_size') ?? '30', 10);
    if (!(pageSize >= 1 && pageSize <= 100)) {
      return { status: 422, body: validationError('page_size', req.query.get('page_size')) };
    }
    const { page, nextCursor } = listPage([...documents.values()], {
      pageSize,
      cursor: req.query.get('cursor') ?? undefined,
      search: req.query.get('search') ?? undefined,
      types: req.query.getAll('types'),
    });
    const items = page.map((doc) => documentSummary(doc, agentsUsing(doc.id)));
    return {
      status: 200,
      body: { documents: items, next_cursor: nextCursor, has_more: nextCursor !== undefined },
    };
  }

  function documentRoute(req: RecordedRequest, id: string): Reply {
    const doc = documents.get(id);
    if (!doc) return notFound('document_not_found', `Document with id ${id} not found.`);
    if (req.method === 'GET') return { status: 200, body: documentDetail(doc) };
    if (req.method === 'PATCH') {
      const body = jsonObject(req.body);
      if (typeof body.name !== 'string') return { status: 422, body: validationError('name', req.body) };
      doc.name = body.name;
      doc.updatedAt = Math.floor(Date.now() / 1000);
      return { status: 200, body: documentDetail(doc) };
    }
    if (req.method === 'DELETE') return deleteDocument(doc, req.query.get('force') === 'true');
    return methodNotAllowed();
  }

  function deleteDocument(doc: KbDocument, force: boolean): Reply {
    const users = agentsUsing(doc.id);
    if (users.length > 0 && !force) {
      return {
        status: 400,
        body: errorBody(
          'invalid_request',
          'document_in_use',
          `Document ${doc.id} is used by agents ${users.join(', ')}. Use force=true to delete it anyway.`,
        ),
      };
    }
    detach(doc.id);
    documents.delete(doc.id);
    deletedDocumentIds.push(doc.id);
    return { status: 200, body: {} };
  }

  function agentRoute(req: RecordedRequest, id: string): Reply {
    const agent = agents.get(id);
    if (!agent) return notFound('agent_not_found', `Agent with id ${id} not found.`);
    if (req.method === 'GET') return { status: 200, body: agent };
    if (req.method === 'PATCH') return { status: 200, body: updateAgent(id, jsonObject(req.body)) };
    return methodNotAllowed();
  }

  function route(req: RecordedRequest): Reply {
    const auth = checkKey(req.headers['xi-api-key'], apiKey);
    if (auth) return auth;
    const { method, path } = req;
    if (path === '/v1/user' && method === 'GET') return { status: 200, body: userBody() };
    if (path === KB && method === 'GET') return list(req);
    if (path === `${KB}/text` && method === 'POST') return createText(req);
    if (path === `${KB}/url` && method === 'POST') return createUrl(req);
    if (path === `${KB}/file` && method === 'POST') return createFile(req);
    const content = matchPath(`${KB}/:id/content`, path);
    if (content && method === 'GET') return contentOf(documents.get(content.id));
    const doc = matchPath(`${KB}/:id`, path);
    if (doc) return documentRoute(req, doc.id);
    const agent = matchPath('/v1/convai/agents/:id', path);
    if (agent) return agentRoute(req, agent.id);
    return { status: 404, body: { detail: 'Not Found' } };
  }

  const server = await startFakeServer({
    handle: route,
    errorBody: errorForStatus,
    extraHeaders: () => ({ 'x-request-id': requestId() }),
  });
  return { ...server, apiKey, agents, documents, deletedDocumentIds, addAgent, updateAgent };
}

function checkKey(given: string | undefined, apiKey: string): Reply | undefined {
  if (!given) {
    return {
      status: 401,
      body: errorBody(
        'authentication_error',
        'missing_api_key',
        'Missing API key. Pass it in the xi-api-key header.',
      ),
    };
  }
  if (given !== apiKey)
    return { status: 401, body: errorBody('authentication_error', 'invalid_api_key', 'Invalid API key') };
  return undefined;
}

function notFound(code: string, message: string): Reply {
  return { status: 404, body: errorBody('not_found', code, message) };
}

function methodNotAllowed(): Reply {
  return { status: 405, body: { detail: 'Method Not Allowed' } };
}

function contentOf(doc: KbDocument | undefined): Reply {
  if (!doc) return notFound('document_not_found', 'Document not found.');
  if (doc.bytes) return { status: 200, body: doc.bytes };
  return { status: 200, body: doc.text ?? `Content fetched from ${doc.url}` };
}

function folderAndExtra(
  body: Record<string, unknown>,
  known: string[],
): Pick<KbDocument, 'parentFolderId' | 'extra'> {
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!known.includes(key) && key !== 'parent_folder_id') extra[key] = value;
  }
  const folder = body.parent_folder_id;
  return { parentFolderId: typeof folder === 'string' ? folder : undefined, extra };
}

/** `GET /v1/user` with every key the SDK's `User` serializer requires. */
function userBody(): Record<string, unknown> {
  return {
    user_id: 'user_fake_0001',
    workspace_id: 'ws_fake_0001',
    subscription: {
      tier: 'creator',
      character_count: 1200,
      character_limit: 100000,
      max_credit_limit_extension: 0,
      can_extend_character_limit: true,
      allowed_to_extend_character_limit: true,
      voice_slots_used: 1,
      professional_voice_slots_used: 0,
      professional_voice_slots_used_in_workspace: 0,
      voice_limit: 30,
      voice_add_edit_counter: 0,
      professional_voice_limit: 1,
      can_extend_voice_limit: false,
      can_use_instant_voice_cloning: true,
      can_use_professional_voice_cloning: true,
      current_overage: { amount: '0', currency: 'usd' },
      status: 'active',
    },
    is_new_user: false,
    can_use_delayed_payment_methods: false,
    is_onboarding_completed: true,
    is_onboarding_checklist_completed: true,
    created_at: 1700000000,
    seat_type: 'workspace_admin',
    xi_api_key_preview: 'sk_…fake',
  };
}
