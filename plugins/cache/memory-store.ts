/**
 * The in-memory store: a Map in least-recently-used order, each entry with the time it was stored
 * and the time it expires (DS-3.4). Bounded by entry count and by bytes, since audio payloads are
 * megabytes. Expired entries are dropped when read and by `sweep()`, which the service runs on a
 * timer; both count as expirations.
 */
import { Buffer } from 'node:buffer';
import type { Clock } from '../../src/clock.ts';
import type { CacheStore } from './types.ts';

export interface MemoryStoreOptions {
  clock: Clock;
  /** Default TTL when a call gives none. */
  ttlSeconds: number;
  maxEntries: number;
  maxBytes: number;
  /** Called when entries expire or are evicted, with how many. */
  onExpire?(count: number): void;
  onEvict?(count: number): void;
}

interface Entry {
  value: Uint8Array | string;
  size: number;
  storedAt: number;
  expiresAt: number;
}

function sizeOf(value: Uint8Array | string): number {
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.byteLength;
}

function toBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? new TextEncoder().encode(value) : value.slice();
}

function toText(value: Uint8Array | string): string {
  return typeof value === 'string' ? value : new TextDecoder().decode(value);
}

/** A CacheStore in process memory, with TTLs, an LRU size bound and an explicit `sweep()`. */
export class MemoryStore implements CacheStore {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry>();
  private totalBytes = 0;

  constructor(private readonly options: MemoryStoreOptions) {}

  /** Entries held now, expired ones included until they are read or swept. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes of values held now. */
  get bytes(): number {
    return this.totalBytes;
  }

  async get(key: string): Promise<Uint8Array | null> {
    const entry = this.live(key);
    return entry ? toBytes(entry.value) : null;
  }

  async getText(key: string): Promise<string | null> {
    const entry = this.live(key);
    return entry ? toText(entry.value) : null;
  }

  async set(key: string, value: Uint8Array | string, ttlSeconds?: number): Promise<void> {
    this.put(key, value, ttlSeconds);
  }

  async setIfAbsent(key: string, value: Uint8Array | string, ttlSeconds?: number): Promise<boolean> {
    if (this.live(key)) return false;
    this.put(key, value, ttlSeconds);
    return true;
  }

  async take(key: string): Promise<Uint8Array | null> {
    const entry = this.live(key);
    if (!entry) return null;
    this.remove(key, entry);
    return toBytes(entry.value);
  }

  async delete(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (entry) this.remove(key, entry);
  }

  /** True when `key` holds a value that has not expired (no LRU touch, no counting). */
  has(key: string): boolean {
    const entry = this.entries.get(key);
    return !!entry && entry.expiresAt > this.options.clock.now();
  }

  /** Removes every entry expired at `nowMs`; returns how many. */
  sweep(nowMs: number = this.options.clock.now()): number {
    let removed = 0;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > nowMs) continue;
      this.remove(key, entry);
      removed++;
    }
    if (removed) this.options.onExpire?.(removed);
    return removed;
  }

  /** Drops everything (stop, tests). */
  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.options.clock.now()) {
      this.remove(key, entry);
      this.options.onExpire?.(1);
      return undefined;
    }
    // Most recently used goes last, so eviction takes from the front.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  private put(key: string, value: Uint8Array | string, ttlSeconds?: number): void {
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    const now = this.options.clock.now();
    const stored = typeof value === 'string' ? value : value.slice();
    const entry: Entry = {
      value: stored,
      size: sizeOf(stored),
      storedAt: now,
      expiresAt: now + (ttlSeconds ?? this.options.ttlSeconds) * 1000,
    };
    this.entries.set(key, entry);
    this.totalBytes += entry.size;
    this.evict();
  }

  private evict(): void {
    let evicted = 0;
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && this.totalBytes <= this.options.maxBytes) break;
      this.remove(key, entry);
      evicted++;
    }
    if (evicted) this.options.onEvict?.(evicted);
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.totalBytes -= entry.size;
  }
}
