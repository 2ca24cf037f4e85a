/**
 * Picks the backend MEMORY_BACKEND names and builds it with the core's retry and breaker numbers.
 * A remote backend without its key is not replaced by the embedded one: it answers every call with
 * an error naming the setting and reports itself down, so the gap is seen, not papered over.
 */
import type { Registry } from 'prom-client';
import type { Clock } from '../../src/clock.ts';
import type { CoreConfig } from '../../src/config/index.ts';
import type { Db } from '../../src/db/index.ts';
import type { Logger } from '../../src/log.ts';
import { createUpstream } from '../../src/resilience.ts';
import type { MemoryConfig } from './config.ts';
import { createEmbeddedBackend } from './embedded.ts';
import { createMem0Backend } from './mem0.ts';
import { createOpenMemoryBackend } from './openmemory.ts';
import { type MemoryBackend, MemoryBackendError } from './types.ts';

export interface MemoryServiceOptions {
  config: MemoryConfig;
  resilience: CoreConfig['resilience'];
  db: Db;
  clock: Clock;
  logger?: Logger;
  metrics?: Registry;
  fetch?: typeof fetch;
}

export interface MemoryService {
  backend: MemoryBackend;
  /** The variable that must be set before the selected backend can work; undefined when none. */
  missing?: string;
}

/** A backend that cannot work until `setting` is set: every call fails (transient, so queues keep events). */
export function unconfiguredBackend(name: string, setting: string): MemoryBackend {
  const fail = async (): Promise<never> => {
    throw new MemoryBackendError(`${setting} is not configured`, 503, false);
  };
  return {
    name,
    caps: { nativeSummary: false, semantic: false, metadataInSearch: false },
    health: async () => ({ ok: false, detail: `${setting} is not configured` }),
    storeConversation: fail,
    search: fail,
    listRecent: fail,
    getUserSummary: fail,
    putUserSummary: fail,
    deleteUser: fail,
  };
}

/** The backend MEMORY_BACKEND names; `auto` follows the API key that is set. */
export function chosenBackend(config: MemoryConfig): Exclude<MemoryConfig['backend'], 'auto'> {
  if (config.backend !== 'auto') return config.backend;
  const openmemory = config.openmemory.apiKey !== undefined;
  const mem0 = config.mem0.apiKey !== undefined;
  if (openmemory && mem0)
    throw new TypeError(
      'MEMORY_BACKEND: both OPENMEMORY_API_KEY and MEM0_API_KEY are set; set it to openmemory or mem0',
    );
  return openmemory ? 'openmemory' : mem0 ? 'mem0' : 'embedded';
}

export function createMemoryService(options: MemoryServiceOptions): MemoryService {
  const { resilience, clock } = options;
  const config = { ...options.config, backend: chosenBackend(options.config) };
  const upstream = (name: string) =>
    createUpstream({
      name,
      maxRetries: resilience.maxRetries,
      baseDelayMs: resilience.baseDelayMs,
      maxDelayMs: resilience.maxDelayMs,
      jitter: 0.1,
      breakerThreshold: resilience.breakerThreshold,
      halfOpenAfterMs: resilience.breakerHalfOpenAfterMs,
      logger: options.logger,
      metrics: options.metrics,
    });
  const limits = { searchLimitDefault: config.searchLimitDefault, searchLimitMax: config.searchLimitMax };
  if (config.backend === 'openmemory') {
    const { url, apiKey, chunkChars } = config.openmemory;
    if (!apiKey)
      return {
        backend: unconfiguredBackend('openmemory', 'OPENMEMORY_API_KEY'),
        missing: 'OPENMEMORY_API_KEY',
      };
    return {
      backend: createOpenMemoryBackend({
        url,
        apiKey,
        chunkChars,
        timeoutMs: config.timeoutMs,
        upstream: upstream('openmemory'),
        clock,
        fetch: options.fetch,
        ...limits,
      }),
    };
  }
  if (config.backend === 'mem0') {
    const { flavour, url, apiKey } = config.mem0;
    if (!apiKey) return { backend: unconfiguredBackend('mem0', 'MEM0_API_KEY'), missing: 'MEM0_API_KEY' };
    return {
      backend: createMem0Backend({
        flavour,
        url,
        apiKey,
        timeoutMs: config.timeoutMs,
        upstream: upstream(`mem0-${flavour}`),
        clock,
        fetch: options.fetch,
        ...limits,
      }),
    };
  }
  return {
    backend: createEmbeddedBackend({
      db: options.db,
      clock,
      recencyHalfLifeDays: config.recencyHalfLifeDays,
      ...limits,
    }),
  };
}
