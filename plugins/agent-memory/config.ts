/**
 * The agentMemory section: how long post-call waits for the memory backend before it answers
 * `queued`, how the delivery worker retries, the client-data deadline, the profile cache and the
 * greeting (template, or an OpenAI-compatible endpoint used at post-call time only).
 */
import { type Static, Type } from '@sinclair/typebox';

const ms = (value: number, env: string, description: string, minimum = 1) =>
  Type.Integer({ default: value, minimum, env, description });

export const DeliveryConfig = Type.Object(
  {
    inlineBudgetMs: ms(
      2000,
      'AGENT_MEMORY_INLINE_BUDGET_MS',
      'How long post-call waits for the memory backend before answering {"status":"queued"} (0 = never wait).',
      0,
    ),
    pollIntervalMs: ms(
      1000,
      'AGENT_MEMORY_POLL_INTERVAL_MS',
      'How often the delivery worker looks for due events.',
    ),
    batchSize: Type.Integer({
      default: 10,
      minimum: 1,
      maximum: 500,
      env: 'AGENT_MEMORY_BATCH_SIZE',
      description: 'Events one worker pass claims and delivers at once.',
    }),
    leaseMs: ms(
      60000,
      'AGENT_MEMORY_LEASE_MS',
      'How long a claimed event is reserved for its worker; a worker that dies releases it by expiry.',
    ),
    baseDelayMs: ms(
      1000,
      'AGENT_MEMORY_RETRY_BASE_MS',
      'First retry delay of a failed delivery; doubles each attempt.',
    ),
    maxDelayMs: ms(300000, 'AGENT_MEMORY_RETRY_MAX_MS', 'Longest delay between two delivery attempts.'),
    jitter: Type.Number({
      default: 0.2,
      minimum: 0,
      maximum: 1,
      env: 'AGENT_MEMORY_RETRY_JITTER',
      description: 'Random spread added to each retry delay (0.2 = up to 20 % longer).',
    }),
    retentionDays: Type.Number({
      default: 30,
      exclusiveMinimum: 0,
      env: 'AGENT_MEMORY_EVENT_RETENTION_DAYS',
      description:
        'Delivered, skipped and dead-lettered events (with their queued payload) are deleted this long after they arrived; pending ones never are. A redelivery older than this is stored again.',
    }),
  },
  {
    default: {},
    additionalProperties: false,
    description: 'The durable delivery queue to the memory backend.',
  },
);

export const GreetingLlmConfig = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        pattern: '^https?://',
        env: 'GREETING_LLM_URL',
        description:
          'OpenAI-compatible base URL (…/v1) for greetings and summaries at post-call time. Unset: the template only.',
      }),
    ),
    model: Type.String({
      default: 'gpt-4o-mini',
      minLength: 1,
      env: 'GREETING_LLM_MODEL',
      description: 'Model name sent to the greeting endpoint.',
    }),
    apiKey: Type.Optional(
      Type.String({
        minLength: 1,
        env: 'GREETING_LLM_API_KEY',
        secret: true,
        description: 'Bearer key of the greeting endpoint.',
      }),
    ),
    timeoutMs: ms(
      15000,
      'GREETING_LLM_TIMEOUT_MS',
      'Timeout of one greeting request; the template is used after it.',
    ),
  },
  { default: {}, additionalProperties: false, description: 'Optional LLM for the next greeting.' },
);

export const AgentMemoryConfig = Type.Object(
  {
    delivery: DeliveryConfig,
    firstMessageOverride: Type.Union([Type.Literal('auto'), Type.Literal('always'), Type.Literal('never')], {
      default: 'auto',
      env: 'FIRST_MESSAGE_OVERRIDE',
      description:
        "Send the personalized first_message to a known caller: auto = when the agent's profile (fetched with ELEVENLABS_API_KEY) allows the override; always = you enabled it in the agent's Security tab (no API key needed); never. ElevenLabs fails a call whose override the agent does not allow.",
    }),
    clientDataTimeoutMs: ms(
      1500,
      'CLIENT_DATA_TIMEOUT_MS',
      'Deadline of the whole client-data handler; past it the agent defaults are answered (FR-2.8).',
    ),
    profileTtlSeconds: Type.Integer({
      default: 86400,
      minimum: 1,
      env: 'AGENT_PROFILE_TTL',
      description: 'How long a fetched agent profile is reused before post-call refreshes it.',
    }),
    profileInMemoryBackend: Type.Boolean({
      default: true,
      env: 'AGENT_PROFILE_IN_MEMORY_BACKEND',
      description:
        'Also write a compact agent profile to the memory backend under user_id = agent_id (FR-5.1–5.3).',
    }),
    greetingTemplate: Type.String({
      default: 'Welcome back{, name}! Last time we talked about {topic}. How can I help you today?',
      minLength: 1,
      env: 'GREETING_TEMPLATE',
      description:
        'Greeting of a known caller: {name} and {topic} are filled in; "{, name}" becomes ", Ann" or nothing.',
    }),
    greetingTemplateNoTopic: Type.String({
      default: 'Welcome back{, name}! How can I help you today?',
      minLength: 1,
      env: 'GREETING_TEMPLATE_NO_TOPIC',
      description: 'Greeting of a known caller when no topic of the last call is known.',
    }),
    greetingLlm: GreetingLlmConfig,
  },
  {
    default: {},
    additionalProperties: false,
    description: 'The three ElevenLabs webhooks (post-call, client-data, search-data) and the caller memory.',
  },
);

export type AgentMemoryConfig = Static<typeof AgentMemoryConfig>;
