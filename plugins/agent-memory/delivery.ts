/**
 * The delivery worker: takes committed transcription events to the memory backend. Claims rows
 * with a lease (owner = the process's instance id), retries transient failures with exponential
 * backoff and jitter, dead-letters permanent ones with the reason, and survives restarts because
 * every state lives in the event store. Backends are idempotent on the conversation id, so a crash
 * between "stored" and "marked delivered" only repeats a no-op write.
 */
import type { Clock } from '../../src/clock.ts';
import type { Logger } from '../../src/log.ts';
import { backoffDelay, isTransient } from '../../src/resilience.ts';
import type { AgentMemoryConfig } from './config.ts';
import { conversationRecord } from './conversation.ts';
import type { EventMeta, EventStore } from './event-store.ts';
import type { MemoryBackend } from './memory.ts';
import { type Envelope, parseEnvelope } from './payload.ts';

export type DeliveryOutcome =
  | { status: 'delivered'; memoryId: string | null }
  | { status: 'queued'; error: string }
  | { status: 'dead'; error: string }
  | { status: 'busy' };

export interface DeliveryDeps {
  store: EventStore;
  backend: () => MemoryBackend;
  clock: Clock;
  logger: Logger;
  /** Lease owner: the process's instance id. */
  owner: string;
  config: AgentMemoryConfig['delivery'];
  /** After a delivery (summary, greeting). Runs in the background; its errors are logged. */
  afterDelivery?: (row: EventMeta, envelope: Envelope) => Promise<void>;
  /** The queued payload as stored (a Fernet token when storage encrypts at rest) back to its text. */
  unseal?: (text: string) => Promise<string>;
  random?: () => number;
}

/** Whether an error from a backend is worth another attempt. */
export function isPermanent(error: unknown): boolean {
  const e = error as { name?: string; permanent?: boolean } | undefined;
  if (e?.name === 'MemoryBackendError') return e.permanent === true;
  if (e?.name === 'InvalidPayloadError') return true;
  const status = (e as { status?: unknown })?.status;
  if (typeof status === 'number') return !isTransient(error);
  // Unknown failures are retried: losing a caller's conversation is worse than trying again.
  return false;
}

function describe(error: unknown): string {
  const e = error as { message?: string; status?: number } | undefined;
  const status = typeof e?.status === 'number' ? `HTTP ${e.status}: ` : '';
  return `${status}${e?.message ?? String(error)}`;
}

const DAY_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

export class DeliveryWorker {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<number> | undefined;
  /** Work after a delivery (greetings), by the caller it is for. */
  private readonly background = new Map<Promise<void>, string>();
  /** Deliveries running now (inline and worker), each holding a claim until it settles, by caller. */
  private readonly inFlight = new Map<Promise<unknown>, string>();
  private stopped = true;
  private prunedAt = Number.NEGATIVE_INFINITY;
  private stopping = false;

  constructor(private readonly deps: DeliveryDeps) {}

  /** Claims the event `id` now (right after its commit) and delivers it; `envelope` is its parsed payload. */
  async deliverNow(id: string, envelope: Envelope): Promise<DeliveryOutcome> {
    const { store, owner, clock, config } = this.deps;
    // A stopping worker claims nothing new: the row stays pending for the next process.
    if (this.stopping) return { status: 'busy' };
    const row = store.claimOne(id, owner, clock.now(), config.leaseMs);
    if (!row) return { status: 'busy' };
    return this.deliver(row, envelope);
  }

  /** One pass: claims due rows (at most batchSize) and delivers them. Returns how many it claimed. */
  async tick(): Promise<number> {
    const { store, owner, clock, config } = this.deps;
    if (this.stopping) return 0;
    this.pruneHourly();
    const rows = store.claimDue(owner, clock.now(), config.leaseMs, config.batchSize);
    await Promise.all(rows.map((row) => this.deliver(row)));
    return rows.length;
  }

  /**
   * Passes until nothing is due. With `advance`, it moves an injected clock to the next due time
   * instead of waiting (tests), until the queue is empty or `maxPasses` is reached.
   */
  async drain(options: { advance?: (toMs: number) => void; maxPasses?: number } = {}): Promise<number> {
    let total = 0;
    for (let pass = 0; pass < (options.maxPasses ?? 1000); pass++) {
      const claimed = await this.tick();
      total += claimed;
      if (claimed > 0) continue;
      const due = this.deps.store.nextDue();
      if (due === null || !options.advance) break;
      options.advance(Math.max(due, this.deps.clock.now()));
    }
    await this.settled();
    return total;
  }

  /** Waits for the deliveries in flight and the background work started after them (greetings). */
  async settled(): Promise<void> {
    while (this.inFlight.size || this.background.size) {
      await Promise.allSettled([...this.inFlight.keys(), ...this.background.keys()]);
    }
  }

  /**
   * Waits for the deliveries and background work of one caller (erasure: what they write after the
   * caller's data was deleted must be deleted again). True when there was any.
   */
  async settledFor(userId: string): Promise<boolean> {
    let waited = false;
    for (;;) {
      const mine = [...this.inFlight, ...this.background].filter(([, user]) => user === userId);
      if (!mine.length) return waited;
      waited = true;
      await Promise.allSettled(mine.map(([work]) => work));
    }
  }

  /** Starts polling every `pollIntervalMs`. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopping = false;
    this.schedule(0);
  }

  /**
   * Stops polling and claiming, waits for every delivery in flight (worker passes and inline ones
   * that outlived their budget) and the background work, then releases what we still hold. A claim
   * is never released under a running delivery: another process would store the event at the same
   * time. The core bounds the wait (`server.shutdownTimeoutMs`); past it, our leases simply expire.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => 0);
    await this.settled();
    this.deps.store.releaseAll(this.deps.owner, this.deps.clock.now());
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().catch((error) => {
        this.deps.logger.error({ err: error }, 'delivery pass failed');
        return 0;
      });
      this.running.then((claimed) =>
        this.schedule(claimed >= this.deps.config.batchSize ? 0 : this.deps.config.pollIntervalMs),
      );
    }, delayMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Delivers a claimed row, tracked in {@link inFlight} until it settles (stop() waits for it). */
  private deliver(row: EventMeta, parsed?: Envelope): Promise<DeliveryOutcome> {
    const work = this.attempt(row, parsed);
    const tracked = work.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.set(tracked, row.user_id);
    return work;
  }

  /** One attempt on a claimed row; its payload is parsed here unless the caller already has `parsed`. */
  private async attempt(row: EventMeta, parsed?: Envelope): Promise<DeliveryOutcome> {
    const { store, owner, clock, logger } = this.deps;
    const log = { event_id: row.id, conversation_id: row.conversation_id, attempt: row.attempts };
    let envelope: Envelope;
    let memoryId: string | null;
    let marked = false;
    const release = this.keepLease(row, log);
    try {
      envelope = parsed ?? parseEnvelope(await this.unseal(store.payloadOf(row.id) ?? ''));
      const record = conversationRecord(envelope, row.user_id_source, row.received_at);
      const scope = { userId: row.user_id, ...(row.agent_id ? { agentId: row.agent_id } : {}) };
      const { ids } = await this.deps.backend().storeConversation(scope, record);
      memoryId = ids[0] ?? null;
      marked = store.markDelivered(row.id, owner, memoryId, clock.now());
      logger.info(
        { ...log, memory_id: memoryId, backend: this.deps.backend().name },
        'conversation stored in memory',
      );
    } catch (error) {
      return this.failed(row, error, log);
    } finally {
      release();
    }
    // The row is no longer ours: erased meanwhile (the caller's greeting must not come back) or
    // claimed by another worker after our lease ran out (that worker does the after-work).
    if (!marked) logger.warn(log, 'event erased or reclaimed during its delivery; no caller update');
    else this.track(row, envelope, this.deps.afterDelivery, () => store.afterWorkDone(row.id, owner));
    return { status: 'delivered', memoryId };
  }

  /** At most once an hour per process: finished events past the retention go. */
  private pruneHourly(): void {
    const { store, clock, config, logger } = this.deps;
    const now = clock.now();
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    try {
      const deleted = store.prune(now - config.retentionDays * DAY_MS);
      if (deleted) logger.info({ deleted, retention_days: config.retentionDays }, 'old events pruned');
    } catch (error) {
      logger.warn({ err: error }, 'old events not pruned');
    }
  }

  private unseal(text: string): Promise<string> {
    return this.deps.unseal ? this.deps.unseal(text) : Promise.resolve(text);
  }

  /** Renews the claim every third of `leaseMs` until the returned function is called. */
  private keepLease(row: EventMeta, log: Record<string, unknown>): () => void {
    const { store, owner, clock, config, logger } = this.deps;
    const timer = setInterval(
      () => {
        let kept: boolean;
        try {
          kept = store.renewLease(row.id, owner, clock.now(), config.leaseMs);
        } catch (error) {
          // Busy, most likely: two thirds of the lease are left, the next round tries again.
          logger.warn({ ...log, err: error }, 'delivery lease not renewed; trying again');
          return;
        }
        if (kept) return;
        clearInterval(timer);
        logger.warn(log, 'delivery lease lost; the event may be delivered by another worker');
      },
      Math.max(1, Math.floor(config.leaseMs / 3)),
    );
    (timer as { unref?: () => void }).unref?.();
    return () => clearInterval(timer);
  }

  private failed(row: EventMeta, error: unknown, log: Record<string, unknown>): DeliveryOutcome {
    const { store, owner, clock, logger, config } = this.deps;
    const reason = describe(error);
    if (isPermanent(error)) {
      store.markDead(row.id, owner, reason);
      logger.error({ ...log, err: error }, 'delivery failed permanently; event dead-lettered');
      return { status: 'dead', error: reason };
    }
    const retryAfter = (error as { retryAfterMs?: number })?.retryAfterMs;
    const delay = backoffDelay(config, row.attempts, retryAfter, this.deps.random);
    store.markRetry(row.id, owner, reason, clock.now() + delay);
    logger.warn({ ...log, err: error, retry_in_ms: delay }, 'delivery failed; will retry');
    return { status: 'queued', error: reason };
  }

  /**
   * Runs `after` (by default the post-delivery work) in the background, counted as the caller's:
   * `settled()` and an erasure's `settledFor()` wait for it; `finished` runs when it is over.
   */
  track(row: EventMeta, envelope: Envelope, after = this.deps.afterDelivery, finished?: () => void): void {
    const done = () => {
      try {
        finished?.();
      } catch (error) {
        this.deps.logger.warn({ err: error, event_id: row.id }, 'post-delivery lease not released');
      }
    };
    if (!after) {
      done();
      return;
    }
    const work = after(row, envelope)
      .catch((error) => {
        this.deps.logger.error({ err: error, event_id: row.id }, 'post-delivery work failed');
      })
      .finally(() => {
        done();
        this.background.delete(work);
      });
    this.background.set(work, row.user_id);
  }
}
