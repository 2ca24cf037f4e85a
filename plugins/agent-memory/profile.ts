/**
 * Agent profiles: the fields of `GET /v1/convai/agents/{id}` that personalization needs (FR-5.6),
 * plus which `conversation_config_override` fields the agent allows (ElevenLabs rejects the
 * others) and the agent's dynamic-variable placeholders (the response must carry every variable
 * the agent defines).
 */

type Json = Record<string, any>;

/** Which override fields the agent's Security tab enables. */
export interface AllowedOverrides {
  firstMessage: boolean;
  language: boolean;
  prompt: boolean;
  voiceId: boolean;
}

export interface AgentProfile {
  agentId: string;
  /** From `name` (FR-5.6 `title`). */
  title?: string;
  firstMessage?: string;
  systemPrompt?: string;
  language?: string;
  voiceId?: string;
  allow: AllowedOverrides;
  /** Whether the agent asks for the client-data webhook at all. */
  clientDataWebhook: boolean;
  /** Defaults of the agent's dynamic variables. */
  placeholders: Record<string, string | number | boolean>;
  /** `metadata.updated_at_unix_secs`. */
  updatedAt?: number;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function pick(source: Json | undefined, camel: string, snake: string): any {
  if (!source || typeof source !== 'object') return undefined;
  return source[camel] ?? source[snake];
}

/**
 * Extracts a profile from the agent document. Accepts the SDK's camelCase model and the raw
 * snake_case JSON alike (stored copies, fakes).
 */
export function extractProfile(agent: Json): AgentProfile {
  const config = pick(agent, 'conversationConfig', 'conversation_config') ?? {};
  const agentConfig = config.agent ?? {};
  const prompt = agentConfig.prompt ?? {};
  const tts = config.tts ?? {};
  const platform = pick(agent, 'platformSettings', 'platform_settings') ?? {};
  const overrides = platform.overrides ?? {};
  const allowed = pick(overrides, 'conversationConfigOverride', 'conversation_config_override') ?? {};
  const variables = pick(agentConfig, 'dynamicVariables', 'dynamic_variables') ?? {};
  const rawPlaceholders =
    pick(variables, 'dynamicVariablePlaceholders', 'dynamic_variable_placeholders') ?? {};
  const placeholders: AgentProfile['placeholders'] = {};
  for (const [key, value] of Object.entries(rawPlaceholders as Json)) {
    if (['string', 'number', 'boolean'].includes(typeof value) && !key.startsWith('system__'))
      placeholders[key] = value;
  }
  const metadata = agent.metadata ?? {};
  const webhook = pick(
    overrides,
    'enableConversationInitiationClientDataFromWebhook',
    'enable_conversation_initiation_client_data_from_webhook',
  );
  return {
    agentId: String(pick(agent, 'agentId', 'agent_id')),
    title: str(agent.name),
    firstMessage: str(pick(agentConfig, 'firstMessage', 'first_message')),
    systemPrompt: str(prompt.prompt),
    language: str(agentConfig.language),
    voiceId: str(pick(tts, 'voiceId', 'voice_id')),
    allow: {
      firstMessage: pick(allowed.agent, 'firstMessage', 'first_message') === true,
      language: allowed.agent?.language === true,
      prompt: allowed.agent?.prompt?.prompt === true,
      voiceId: pick(allowed.tts, 'voiceId', 'voice_id') === true,
    },
    clientDataWebhook: webhook !== false,
    placeholders,
    updatedAt: pick(metadata, 'updatedAtUnixSecs', 'updated_at_unix_secs'),
  };
}

/** The compact facts written to the memory backend under `user_id = agent_id` (FR-5.1–5.3). */
export function profileFacts(profile: AgentProfile): string[] {
  const facts = [`agent_id: ${profile.agentId}`];
  if (profile.title) facts.push(`title: ${profile.title}`);
  if (profile.language) facts.push(`language: ${profile.language}`);
  if (profile.voiceId) facts.push(`voice_id: ${profile.voiceId}`);
  if (profile.firstMessage) facts.push(`first_message: ${profile.firstMessage}`);
  if (profile.systemPrompt) facts.push(`system_prompt: ${profile.systemPrompt.slice(0, 2000)}`);
  return facts;
}
