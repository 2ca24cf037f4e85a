/**
 * /metrics shows the delivery queue: events by status (its depth is pending + delivering) and the
 * age of the oldest event not yet delivered, which grows while the backend is down and drops to 0
 * once everything is delivered.
 */
import { afterEach, describe, expect, it } from 'bun:test';
import { manualClock } from '../../src/clock.ts';
import { type Harness, harness } from './harness.ts';
import { transcription } from './payloads.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

function gauge(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('delivery queue metrics', () => {
  it('reports the queue depth and the age of its oldest event', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1));
    h = await harness({ clock, config: { agentMemory: { delivery: { inlineBudgetMs: 0 } } } });
    let text = await h.core.metrics.metrics();
    expect(gauge(text, 'elaoms_agent_memory_oldest_pending_age_seconds')).toBe(0);

    const response = await h.postCall(transcription({ conversationId: 'conv_metrics_age' }));
    expect((await response.json()).status).toBe('queued');
    clock.advance(90_000);
    text = await h.core.metrics.metrics();
    expect(gauge(text, 'elaoms_agent_memory_events{status="pending"}')).toBe(1);
    expect(gauge(text, 'elaoms_agent_memory_oldest_pending_age_seconds')).toBe(90);

    await h.service.worker.drain();
    await h.service.settled();
    text = await h.core.metrics.metrics();
    expect(gauge(text, 'elaoms_agent_memory_events{status="delivered"}')).toBe(1);
    expect(gauge(text, 'elaoms_agent_memory_oldest_pending_age_seconds')).toBe(0);
  });
});
