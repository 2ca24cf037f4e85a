/**
 * The caller's summary and next greeting, computed at post-call time from the conversations
 * stored so far, so that call start is one read. Deterministic by default (a template); an
 * OpenAI-compatible endpoint may write them instead (see llm.ts), with this as the fallback.
 */
import { factsOf, turnsOf } from './conversation.ts';

type Json = Record<string, any>;

/** FR-8.3: user_context is at most this long. */
export const USER_CONTEXT_MAX = 500;

/** What one stored conversation tells about the caller. */
export interface ConversationFacts {
  conversationId: string;
  /** Unix milliseconds of the call (event time or receipt). */
  at: number;
  name?: string;
  /** A short title of what the call was about. */
  topic?: string;
  summary?: string;
}

export interface CallerSummary {
  name?: string;
  topic?: string;
  summary: string;
  greeting: string;
  conversations: number;
}

const NAME_KEYS = /^(caller|user|customer|client|contact)?_?(first_?|full_?)?name$/i;
const NAME_PATTERNS = [
  /\bmy name is ([A-Z][a-z'-]+(?: [A-Z][a-z'-]+)?)/,
  /\bthis is ([A-Z][a-z'-]+(?: [A-Z][a-z'-]+)?)\b(?! speaking about)/,
  /\bcall me ([A-Z][a-z'-]+)/,
  /\bI'?m ([A-Z][a-z'-]+)\b[.,!]/,
];
const NOT_NAMES = new Set([
  'Fine',
  'Good',
  'Great',
  'Okay',
  'Ok',
  'Calling',
  'Just',
  'Not',
  'Sorry',
  'Here',
  'Sure',
]);

function cleanName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const name = value.trim().replace(/\s+/g, ' ');
  if (name === '' || name.length > 60 || /[{}<>\n]/.test(name)) return undefined;
  if (/^(unknown|none|null|n\/a)$/i.test(name)) return undefined;
  return name;
}

/** The caller's name: a data-collection field named like a name first, then what they said. */
export function nameOf(data: Json): string | undefined {
  const results = data.analysis?.data_collection_results;
  if (results && typeof results === 'object') {
    for (const [key, entry] of Object.entries(results as Json)) {
      if (!NAME_KEYS.test(key)) continue;
      const name = cleanName((entry as Json)?.value ?? entry);
      if (name) return name;
    }
  }
  for (const turn of turnsOf(data)) {
    if (turn.role !== 'user') continue;
    for (const pattern of NAME_PATTERNS) {
      const match = pattern.exec(turn.text);
      const name = match ? cleanName(match[1]) : undefined;
      if (name && !NOT_NAMES.has(name.split(' ')[0]!)) return name;
    }
  }
  return undefined;
}

/** A topic for "last time we talked about …": ElevenLabs' call summary title, when there is one. */
export function topicOf(data: Json): string | undefined {
  const title = data.analysis?.call_summary_title;
  if (typeof title !== 'string' || !title.trim()) return undefined;
  const topic = title.trim().replace(/[.!?]+$/, '');
  // "Refund request" → "refund request"; keep "PIN reset" and names as they are.
  return /^[A-Z][a-z]/.test(topic) ? topic.charAt(0).toLowerCase() + topic.slice(1) : topic;
}

/** Facts of one stored transcription payload. */
export function conversationFacts(conversationId: string, at: number, data: Json): ConversationFacts {
  const summary = data.analysis?.transcript_summary;
  return {
    conversationId,
    at,
    name: nameOf(data),
    topic: topicOf(data),
    summary: typeof summary === 'string' && summary.trim() ? summary.trim() : summaryFromFacts(data),
  };
}

/** What {@link factsJson} keeps: the facts without the conversation id and time (columns of the row). */
type StoredFacts = Pick<ConversationFacts, 'name' | 'topic' | 'summary'>;

/** The facts of a transcription payload, compact, for the event row's `facts_json` (taken once, at insert). */
export function factsJson(data: Json): string {
  const { name, topic, summary } = conversationFacts('', 0, data);
  const stored: StoredFacts = { name, topic, summary };
  return JSON.stringify(stored);
}

/** Facts from a row's `facts_json`; the same as {@link conversationFacts} on its payload. */
export function factsFromJson(conversationId: string, at: number, json: string): ConversationFacts {
  const stored = JSON.parse(json) as StoredFacts;
  return { conversationId, at, name: stored.name, topic: stored.topic, summary: stored.summary };
}

function summaryFromFacts(data: Json): string | undefined {
  const facts = factsOf(data);
  return facts.length ? facts.join('; ') : undefined;
}

/** Cuts text to `max` characters at a word boundary, without an ellipsis (TTS reads them badly). */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return (space > max * 0.5 ? cut.slice(0, space) : cut).replace(/[\s,;:]+$/, '');
}

/** Fills `{name}`, `{, name}` and `{topic}`; a missing value removes its placeholder. */
export function fillTemplate(template: string, values: { name?: string; topic?: string }): string {
  return template
    .replace(/\{, ?name\}/g, values.name ? `, ${values.name}` : '')
    .replace(/\{name\}/g, values.name ?? '')
    .replace(/\{topic\}/g, values.topic ?? '')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

/**
 * The deterministic summary and greeting from the caller's conversations, newest first: the
 * latest known name, the last call's topic, and the last few summaries, within 500 characters.
 */
export function summarize(
  history: ConversationFacts[],
  templates: { withTopic: string; withoutTopic: string },
  total = history.length,
): CallerSummary {
  const name = history.find((h) => h.name)?.name;
  const latest = history[0];
  const topic = latest?.topic;
  const parts: string[] = [];
  if (name) parts.push(`Caller's name: ${name}.`);
  parts.push(`Previous conversations: ${total}.`);
  history.slice(0, 3).forEach((h, i) => {
    if (!h.summary) return;
    const when = new Date(h.at).toISOString().slice(0, 10);
    parts.push(`${i === 0 ? 'Last call' : 'Earlier'} (${when}): ${h.summary}`);
  });
  const summary = clip(parts.join(' '), USER_CONTEXT_MAX);
  const greeting = topic
    ? fillTemplate(templates.withTopic, { name, topic: clip(topic.replace(/[.!?]+$/, ''), 120) })
    : fillTemplate(templates.withoutTopic, { name });
  return { name, topic, summary, greeting, conversations: total };
}
