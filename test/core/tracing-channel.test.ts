/**
 * pino traces each line through the `pino_asJson` tracing channel when someone listens, and skips it
 * when `hasSubscribers` is false. Bun's TracingChannel had no `hasSubscribers`, so every line paid
 * for tracing; the runtime module adds it with Node's meaning. Tracing still works when subscribed.
 */
import { describe, expect, it } from 'bun:test';
import diagnostics from 'node:diagnostics_channel';
import { createLogger, memoryDestination } from '../../src/log.ts';

describe('TracingChannel.hasSubscribers', () => {
  it('is false with no subscriber and true with one, so pino traces only when someone listens', () => {
    const destination = memoryDestination();
    const logger = createLogger({ destination });
    const channel = diagnostics.tracingChannel('pino_asJson');
    expect(channel.hasSubscribers).toBe(false);
    const seen: string[] = [];
    const handlers = {
      start: (message: any) => seen.push(String(message.arguments?.[1])),
      end: () => {},
      asyncStart: () => {},
      asyncEnd: () => {},
      error: () => {},
    };
    channel.subscribe(handlers);
    expect(channel.hasSubscribers).toBe(true);
    logger.info('traced line');
    channel.unsubscribe(handlers);
    expect(channel.hasSubscribers).toBe(false);
    logger.info('untraced line');
    expect(seen).toEqual(['traced line']);
    expect(destination.lines.map((l) => l.msg)).toEqual(['traced line', 'untraced line']);
  });
});
