/**
 * A small typed event bus so sibling plugins can react to each other without importing each
 * other: the auth plugins report failures, throttle counts them; storage reports quarantine
 * failures; and so on. Listeners run synchronously and must not throw (errors are logged).
 */
import type { Logger } from './log.ts';

export interface CoreEvents {
  /** A request failed authentication (bad signature, bad key). */
  'auth.failure': { ip: string; kind: 'signature' | 'api-key'; reason: string; requestId?: string };
  /** A request was answered 429 by a rate limit. */
  'ratelimit.hit': { ip: string; dimension: string; requestId?: string };
  /** Saving a body to quarantine failed. */
  'quarantine.failure': { ip: string; reason: string; requestId?: string };
}

export type EventName = keyof CoreEvents;

export class EventBus {
  private readonly listeners = new Map<EventName, Array<(payload: any) => void>>();

  constructor(private readonly logger?: Logger) {}

  on<E extends EventName>(event: E, listener: (payload: CoreEvents[E]) => void): () => void {
    const list = this.listeners.get(event) ?? [];
    list.push(listener);
    this.listeners.set(event, list);
    return () => {
      const current = this.listeners.get(event) ?? [];
      this.listeners.set(
        event,
        current.filter((l) => l !== listener),
      );
    };
  }

  emit<E extends EventName>(event: E, payload: CoreEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        listener(payload);
      } catch (error) {
        this.logger?.error({ err: error, event }, 'event listener failed');
      }
    }
  }
}
