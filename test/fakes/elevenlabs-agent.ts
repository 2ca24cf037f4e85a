/**
 * Agent documents for the fake ElevenLabs API, shaped like `GET /v1/convai/agents/{agent_id}`
 * (`GetAgentResponseModel`): the SDK rejects a body without `agent_id`, `name`,
 * `conversation_config` and `metadata.{created,updated}_at_unix_secs`.
 */

export type Json = Record<string, any>;

/** Easy knobs for a test agent; anything else can be edited on the stored document itself. */
export interface AgentSeed {
  agent_id?: string;
  name?: string;
  first_message?: string;
  language?: string;
  prompt?: string;
  voice_id?: string;
  /** `platform_settings.overrides.enable_conversation_initiation_client_data_from_webhook` (default true). */
  client_data_webhook?: boolean;
  /** Which `conversation_config_override` fields are allowed (default: first_message, language, prompt, voice_id). */
  allow_overrides?: { first_message?: boolean; language?: boolean; prompt?: boolean; voice_id?: boolean };
  /** `conversation_config.agent.prompt.knowledge_base` locators. */
  knowledge_base?: Array<{ type: string; name: string; id: string; usage_mode?: string }>;
}

let agentCounter = 0;

export function newAgentId(): string {
  agentCounter += 1;
  return `agent_${String(agentCounter).padStart(4, '0')}${randomTail(22)}`;
}

export function randomTail(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, function pick(byte) {
    return alphabet[byte % alphabet.length];
  }).join('');
}

export function buildAgent(seed: AgentSeed = {}, now = Math.floor(Date.now() / 1000)): Json {
  const allow = {
    first_message: true,
    language: true,
    prompt: true,
    voice_id: true,
    ...seed.allow_overrides,
  };
  return {
    agent_id: seed.agent_id ?? newAgentId(),
    name: seed.name ?? 'Support agent',
    conversation_config: {
      asr: { quality: 'high', provider: 'elevenlabs', user_input_audio_format: 'pcm_16000', keywords: [] },
      turn: { turn_timeout: 7, silence_end_call_timeout: -1, mode: 'turn' },
      tts: {
        model_id: 'eleven_flash_v2',
        voice_id: seed.voice_id ?? 'cjVigY5qzO86Huf0OWal',
        agent_output_audio_format: 'pcm_16000',
        optimize_streaming_latency: 3,
        stability: 0.5,
        speed: 1,
        similarity_boost: 0.8,
      },
      conversation: { text_only: false, max_duration_seconds: 600, client_events: ['audio', 'interruption'] },
      language_presets: {},
      agent: {
        first_message: seed.first_message ?? 'Hello! How can I help you today?',
        language: seed.language ?? 'en',
        dynamic_variables: { dynamic_variable_placeholders: {} },
        prompt: {
          prompt: seed.prompt ?? 'You are a friendly support agent. Keep answers short.',
          llm: 'gemini-2.0-flash',
          temperature: 0,
          max_tokens: -1,
          tool_ids: [],
          knowledge_base: seed.knowledge_base ?? [],
          rag: { enabled: false, embedding_model: 'e5_mistral_7b_instruct', max_vector_distance: 0.6 },
        },
      },
    },
    metadata: { created_at_unix_secs: now, updated_at_unix_secs: now },
    platform_settings: {
      auth: { enable_auth: false, allowlist: [] },
      overrides: {
        conversation_config_override: {
          agent: {
            first_message: allow.first_message,
            language: allow.language,
            prompt: { prompt: allow.prompt },
          },
          tts: { voice_id: allow.voice_id },
          conversation: { text_only: false },
        },
        custom_llm_extra_body: false,
        enable_conversation_initiation_client_data_from_webhook: seed.client_data_webhook ?? true,
      },
      call_limits: { agent_concurrency_limit: -1, daily_limit: 100000 },
      privacy: { record_voice: true, retention_days: -1, delete_transcript_and_pii: false },
    },
    phone_numbers: [],
    workflow: { edges: {}, nodes: {}, prevent_subagent_loops: false },
    access_info: {
      is_creator: true,
      creator_name: 'Test Owner',
      creator_email: 'owner@example.com',
      role: 'admin',
    },
    tags: [],
  };
}

/**
 * Apply a `PATCH /v1/convai/agents/{id}` body: objects merge key by key, arrays and scalars
 * replace (so `prompt.knowledge_base` is replaced as a whole, as documented).
 */
export function mergeAgent(target: Json, patch: Json): Json {
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const current = target[key];
    if (isPlainObject(value) && isPlainObject(current)) mergeAgent(current, value);
    else target[key] = value;
  }
  return target;
}

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
