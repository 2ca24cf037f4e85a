import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'bun:test';
import { ElevenLabs, ElevenLabsClient, ElevenLabsError } from '@elevenlabs/elevenlabs-js';
import { type ElevenLabsFake, startElevenLabsFake } from './elevenlabs.ts';
import { route } from './faults.ts';

let fake: ElevenLabsFake;
let client: ElevenLabsClient;

beforeAll(async () => {
  fake = await startElevenLabsFake({ apiKey: 'xi-test-key' });
  client = new ElevenLabsClient({ apiKey: 'xi-test-key', baseUrl: fake.url, maxRetries: 0 });
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.faults.clear();
});

async function sdkError(promise: Promise<unknown>): Promise<ElevenLabsError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ElevenLabsError);
    return error as ElevenLabsError;
  }
  throw new Error('expected the SDK call to fail');
}

describe('agents', () => {
  it('returns a realistic agent document through the SDK', async () => {
    const seeded = fake.addAgent({
      name: 'Margaret',
      first_message: 'Hi, Margaret here.',
      language: 'de',
      voice_id: 'v1',
    });
    const agent = await client.conversationalAi.agents.get(seeded.agent_id);
    expect(agent.agentId).toBe(seeded.agent_id);
    expect(agent.name).toBe('Margaret');
    expect(agent.conversationConfig.agent?.firstMessage).toBe('Hi, Margaret here.');
    expect(agent.conversationConfig.agent?.language).toBe('de');
    expect(agent.conversationConfig.agent?.prompt?.prompt).toContain('support agent');
    expect(agent.conversationConfig.tts?.voiceId).toBe('v1');
    const overrides = agent.platformSettings?.overrides;
    expect(overrides?.enableConversationInitiationClientDataFromWebhook).toBe(true);
    expect(overrides?.conversationConfigOverride?.agent?.firstMessage).toBe(true);
    expect(fake.requests.at(-1)?.headers['xi-api-key']).toBe('xi-test-key');
  });

  it('reflects edits made through the handle and through PATCH', async () => {
    const seeded = fake.addAgent({ allow_overrides: { language: false } });
    fake.updateAgent(seeded.agent_id, { conversation_config: { agent: { first_message: 'Edited' } } });
    await client.conversationalAi.agents.update(seeded.agent_id, { name: 'Renamed' });
    const agent = await client.conversationalAi.agents.get(seeded.agent_id);
    expect(agent.name).toBe('Renamed');
    expect(agent.conversationConfig.agent?.firstMessage).toBe('Edited');
    expect(agent.conversationConfig.agent?.language).toBe('en');
    expect(agent.platformSettings?.overrides?.conversationConfigOverride?.agent?.language).toBe(false);
  });

  it('answers 404 agent_not_found for an unknown agent', async () => {
    const error = await sdkError(client.conversationalAi.agents.get('agent_missing'));
    expect(error.statusCode).toBe(404);
    expect(error.body).toMatchObject({ detail: { type: 'not_found', code: 'agent_not_found' } });
  });
});

describe('auth', () => {
  it('answers 401 invalid_api_key for a wrong key', async () => {
    const wrong = new ElevenLabsClient({ apiKey: 'nope', baseUrl: fake.url, maxRetries: 0 });
    const error = await sdkError(wrong.user.get());
    expect(error.statusCode).toBe(401);
    expect(error.body).toMatchObject({ detail: { type: 'authentication_error', code: 'invalid_api_key' } });
  });

  it('answers 401 missing_api_key without the header', async () => {
    const res = await fetch(`${fake.url}/v1/user`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ detail: { code: 'missing_api_key' } });
  });

  it('serves GET /v1/user as a cheap health check', async () => {
    const user = await client.user.get();
    expect(user.subscription.tier).toBe('creator');
  });
});

describe('knowledge base', () => {
  it('creates from text, URL and file and keeps what was sent', async () => {
    const kb = client.conversationalAi.knowledgeBase.documents;
    const text = await kb.createFromText({ text: 'Opening hours are 9 to 5.', name: 'Hours' });
    const url = await kb.createFromUrl({ url: 'https://example.com/faq', name: 'FAQ' });
    const bytes = new TextEncoder().encode('Refunds within 30 days.');
    const file = await kb.createFromFile({
      file: new File([bytes], 'refunds.txt', { type: 'text/plain' }),
      name: 'Refunds',
    });
    expect(text.name).toBe('Hours');
    expect(fake.documents.get(text.id)).toMatchObject({ type: 'text', text: 'Opening hours are 9 to 5.' });
    expect(fake.documents.get(url.id)).toMatchObject({
      type: 'url',
      url: 'https://example.com/faq',
      name: 'FAQ',
    });
    const stored = fake.documents.get(file.id);
    expect(stored).toMatchObject({ type: 'file', name: 'Refunds', filename: 'refunds.txt' });
    expect(Array.from(stored?.bytes ?? [])).toEqual(Array.from(bytes));
    expect(fake.requests.at(-1)?.headers['content-type']).toStartWith('multipart/form-data');

    const detail = await kb.get(file.id);
    expect(detail.type).toBe('file');
    expect(detail.name).toBe('Refunds');
    expect(detail.metadata.sizeBytes).toBe(bytes.byteLength);
  });

  it('lists with paging, search and type filters', async () => {
    const kb = client.conversationalAi.knowledgeBase;
    await kb.documents.createFromText({ text: 'a', name: 'zeta one' });
    await kb.documents.createFromText({ text: 'b', name: 'zeta two' });
    const first = await kb.list({ pageSize: 1, search: 'zeta' });
    expect(first.documents.map((d) => d.name)).toEqual(['zeta two']);
    expect(first.hasMore).toBe(true);
    const second = await kb.list({ pageSize: 1, search: 'zeta', cursor: first.nextCursor });
    expect(second.documents.map((d) => d.name)).toEqual(['zeta one']);
    expect(second.hasMore).toBe(false);
    const urls = await kb.list({ types: ['url'] });
    expect(urls.documents.every((d) => d.type === 'url')).toBe(true);
  });

  it('deletes, refusing documents in use unless forced', async () => {
    const kb = client.conversationalAi.knowledgeBase.documents;
    const doc = await kb.createFromText({ text: 'used', name: 'Used' });
    const agent = fake.addAgent({
      knowledge_base: [{ type: 'text', name: 'Used', id: doc.id, usage_mode: 'auto' }],
    });
    const refused = await sdkError(kb.delete(doc.id));
    expect(refused.statusCode).toBe(400);
    await kb.delete(doc.id, { force: true });
    expect(fake.documents.has(doc.id)).toBe(false);
    expect(fake.deletedDocumentIds).toContain(doc.id);
    expect(fake.agents.get(agent.agent_id)?.conversation_config.agent.prompt.knowledge_base).toEqual([]);
    const gone = await sdkError(kb.get(doc.id));
    expect(gone.statusCode).toBe(404);
  });

  it('answers 422 in FastAPI shape when a required field is missing', async () => {
    const res = await fetch(`${fake.url}/v1/convai/knowledge-base/text`, {
      method: 'POST',
      headers: { 'xi-api-key': 'xi-test-key', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'no text' }),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ detail: [{ loc: ['body', 'text'], type: 'missing' }] });
  });
});

describe('faults seen through the SDK', () => {
  it('429 with Retry-After arrives as ElevenLabsError with statusCode', async () => {
    fake.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    const error = await sdkError(
      client.conversationalAi.knowledgeBase.documents.createFromText({ text: 'x' }),
    );
    expect(error.statusCode).toBe(429);
    expect(error.body).toMatchObject({ detail: { type: 'rate_limit_error' } });
    expect(error.rawResponse?.headers.get('retry-after')).toBe('1');
  });

  it('500 arrives as ElevenLabsError; 422 as UnprocessableEntityError', async () => {
    fake.faults.push({ kind: 'status', status: 500 }, { kind: 'status', status: 422 });
    expect((await sdkError(client.user.get())).statusCode).toBe(500);
    const unprocessable = await sdkError(
      client.conversationalAi.knowledgeBase.documents.createFromText({ text: 'x' }),
    );
    expect(unprocessable).toBeInstanceOf(ElevenLabs.UnprocessableEntityError);
  });

  it('the SDK retries 429 itself when maxRetries allows, honouring Retry-After', async () => {
    const retrying = new ElevenLabsClient({ apiKey: 'xi-test-key', baseUrl: fake.url, maxRetries: 1 });
    const before = fake.requests.length;
    fake.faults.push({
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '1' },
      match: route('GET', '/v1/user'),
    });
    const started = Date.now();
    await retrying.user.get();
    expect(fake.requests.length - before).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('a connection reset arrives as ElevenLabsError without statusCode', async () => {
    fake.faults.always({ kind: 'reset' });
    const error = await sdkError(client.user.get());
    expect(error.statusCode).toBeUndefined();
  });
});
