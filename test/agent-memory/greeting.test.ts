import { describe, expect, it } from 'bun:test';
import {
  type ConversationFacts,
  clip,
  conversationFacts,
  fillTemplate,
  nameOf,
  summarize,
} from '../../plugins/agent-memory/greeting.ts';
import { transcription } from './payloads.ts';

const templates = {
  withTopic: 'Welcome back{, name}! Last time we talked about {topic}. How can I help you today?',
  withoutTopic: 'Welcome back{, name}! How can I help you today?',
};

describe('greeting and summary (deterministic template)', () => {
  it('fills name and topic, and drops a missing name cleanly', () => {
    expect(fillTemplate(templates.withTopic, { name: 'Ann', topic: 'your order' })).toBe(
      'Welcome back, Ann! Last time we talked about your order. How can I help you today?',
    );
    expect(fillTemplate(templates.withoutTopic, {})).toBe('Welcome back! How can I help you today?');
  });

  it('finds the name in data collection first, then in what the caller said', () => {
    expect(nameOf(transcription({ name: 'Ann Lee' }).data)).toBe('Ann Lee');
    expect(nameOf(transcription({ userSays: ['Hi, my name is Bob and I need help.'] }).data)).toBe('Bob');
    expect(nameOf(transcription({ userSays: ["I'm fine, thanks."] }).data)).toBeUndefined();
  });

  it('greets with the latest name and the last topic, and summarizes within 500 characters', () => {
    const older = conversationFacts(
      'c1',
      Date.UTC(2026, 0, 1),
      transcription({ name: 'Ann', title: 'Billing' }).data,
    );
    const newer = conversationFacts(
      'c2',
      Date.UTC(2026, 0, 5),
      transcription({ title: 'Order delivery date', summary: 'x'.repeat(600) }).data,
    );
    const result = summarize([newer, older], templates, 7);
    expect(result.greeting).toBe(
      'Welcome back, Ann! Last time we talked about order delivery date. How can I help you today?',
    );
    expect(result.conversations).toBe(7);
    expect(
      result.summary.startsWith("Caller's name: Ann. Previous conversations: 7. Last call (2026-01-05):"),
    ).toBe(true);
    expect(result.summary.length).toBeLessThanOrEqual(500);
  });

  it('is deterministic: the same history gives the same text', () => {
    const history: ConversationFacts[] = [{ conversationId: 'c', at: 0, summary: 'Asked about hours.' }];
    expect(summarize(history, templates)).toEqual(summarize(history, templates));
    expect(summarize(history, templates).greeting).toBe('Welcome back! How can I help you today?');
  });

  it('clips at a word boundary without an ellipsis', () => {
    expect(clip('one two three four', 12)).toBe('one two');
    expect(clip('short', 12)).toBe('short');
  });
});
