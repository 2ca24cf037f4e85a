/**
 * Small adapters between agent-memory and its sibling plugins: the memory backend out of the
 * memory plugin's service, and the queue's health and metrics.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Clock } from '../../src/clock.ts';
import { metric } from '../../src/metrics.ts';
import type { HealthCheck } from '../../src/plugin.ts';
import type { EventStore } from './event-store.ts';
import type { MemoryBackend } from './memory.ts';

/** The backend in use: the memory plugin's service is the backend, or holds it. */
export function backendOf(service: unknown): MemoryBackend {
  const s = service as { backend?: MemoryBackend | (() => MemoryBackend) } & Partial<MemoryBackend>;
  if (typeof s?.storeConversation === 'function') return s as MemoryBackend;
  if (typeof s?.backend === 'function') return s.backend();
  if (s?.backend) return s.backend;
  throw new Error('agent-memory: the memory plugin exposes no backend');
}

/**
 * Gauges of the event store, read at scrape time: events by status (the queue's depth is
 * pending + delivering) and the age of the oldest event not yet delivered.
 */
export function queueMetrics(registry: Registry, events: EventStore, clock: Clock): void {
  metric(
    registry,
    'agent-memory-queue',
    () =>
      new Gauge({
        name: 'elaoms_agent_memory_events',
        help: 'Post-call events by delivery status (pending, delivering, delivered, dead, skipped)',
        labelNames: ['status'],
        registers: [registry],
        collect() {
          for (const [status, n] of Object.entries(events.counts())) this.set({ status }, n);
        },
      }),
  );
  metric(
    registry,
    'agent-memory-queue-age',
    () =>
      new Gauge({
        name: 'elaoms_agent_memory_oldest_pending_age_seconds',
        help: 'Age of the oldest post-call event not yet delivered (pending or delivering); 0 when none',
        registers: [registry],
        collect() {
          const oldest = events.oldestPending();
          this.set(oldest === null ? 0 : Math.max(0, clock.now() - oldest) / 1000);
        },
      }),
  );
}

/** Not required: a backlog or dead letters degrade, they never take the service down. */
export function queueHealth(events: EventStore): HealthCheck {
  const counts = events.counts();
  const detail = `pending ${counts.pending + counts.delivering}, dead ${counts.dead}, delivered ${counts.delivered}`;
  return { status: counts.dead > 0 ? 'degraded' : 'up', required: false, detail };
}
