/**
 * Optional: an OpenAI-compatible chat-completions endpoint writes the caller's summary and next
 * greeting at post-call time (never at call start). Any failure returns null and the template's
 * result stands.
 */
import type { Logger } from '../../src/log.ts';
import { type CallerSummary, clip, USER_CONTEXT_MAX } from './greeting.ts';

export interface LlmOptions {
  url: string;
  model: string;
  apiKey?: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

const SYSTEM = [
  'You write the opening line a voice agent says to a returning caller, and a short note about the caller.',
  'Answer JSON only: {"greeting": string, "summary": string}.',
  'greeting: at most 30 words, warm, mentions the caller by name if known and what the last call was about;',
  'no ellipses, no emojis, no markdown (it is spoken).',
  'summary: at most 400 characters of facts useful in the next call.',
].join(' ');

/** Asks the endpoint; null on any failure (logged), so the template result is used. */
export async function llmSummary(
  options: LlmOptions,
  input: { transcript: string; previous: CallerSummary },
  logger: Logger,
): Promise<{ greeting: string; summary: string } | null> {
  const doFetch = options.fetch ?? fetch;
  const started = performance.now();
  try {
    const response = await doFetch(`${options.url.replace(/\/+$/, '')}/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
      },
      body: JSON.stringify({
        model: options.model,
        response_format: { type: 'json_object' },
        temperature: 0.3,
        messages: [
          { role: 'system', content: SYSTEM },
          {
            role: 'user',
            content: `What we know so far: ${input.previous.summary}\n\nThe call that just ended:\n${clip(input.transcript, 12000)}`,
          },
        ],
      }),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}`);
    }
    const body = (await response.json()) as { choices?: Array<{ message?: { content?: string } }> };
    const parsed = JSON.parse(body.choices?.[0]?.message?.content ?? '') as Record<string, unknown>;
    const greeting =
      typeof parsed.greeting === 'string' ? parsed.greeting.trim().replace(/…|\.{3}/g, '.') : '';
    const summary = typeof parsed.summary === 'string' ? parsed.summary.trim() : '';
    if (!greeting || !summary) throw new Error('answer without greeting or summary');
    logger.info(
      { upstream: 'greeting-llm', latency_ms: Math.round(performance.now() - started) },
      'greeting written',
    );
    return { greeting: clip(greeting, 400), summary: clip(summary, USER_CONTEXT_MAX) };
  } catch (error) {
    logger.warn(
      { upstream: 'greeting-llm', err: error, latency_ms: Math.round(performance.now() - started) },
      'greeting LLM failed; using the template',
    );
    return null;
  }
}
