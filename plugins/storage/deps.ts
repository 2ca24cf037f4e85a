/** What the storage service parts share: injected dependencies and the in-process counters. */
import { createHash } from 'node:crypto';
import type { Clock } from '../../src/clock.ts';
import type { Db } from '../../src/db/index.ts';
import type { EventBus } from '../../src/events.ts';
import type { Logger } from '../../src/log.ts';
import type { AtomicWarning } from './atomic.ts';
import type { StorageConfig } from './config.ts';
import { decrypt, encrypt, type FernetKey } from './fernet.ts';
import type { StorageMetrics } from './metrics.ts';

/** Injected into every part of the service. */
export interface StorageDeps {
  config: StorageConfig;
  db: Db;
  logger: Logger;
  clock: Clock;
  metrics: StorageMetrics;
  events?: EventBus;
  /** Fernet keys (first encrypts); null when no ENCRYPTION_KEY is set. */
  keys: FernetKey[] | null;
  /** This process, as lease holder. */
  instanceId: string;
}

/** Counters kept in memory for /health and stats(). */
export interface StorageState {
  saved: number;
  bytes: number;
  failures: number;
  lastFailureAt?: number;
  lastFailure?: string;
  quarantine: { held: number; passed: number; failed: number; errors: number; promoted: number };
}

export function newState(): StorageState {
  return {
    saved: 0,
    bytes: 0,
    failures: 0,
    quarantine: { held: 0, passed: 0, failed: 0, errors: 0, promoted: 0 },
  };
}

/** Records a failed operation: counter, metric and the time /health looks at. */
export function noteFailure(deps: StorageDeps, state: StorageState, op: string, error: unknown): void {
  state.failures++;
  state.lastFailureAt = deps.clock.now();
  state.lastFailure = `${op}: ${errorText(error)}`;
  deps.metrics.failures.inc({ op });
}

/** Logs permission and directory-fsync problems as warnings (SEC-4.4, ERR-3.2). */
export function logWarnings(logger: Logger, warnings: AtomicWarning[]): void {
  for (const w of warnings) {
    logger.warn(
      { op: w.op, code: (w.error as { code?: string })?.code },
      'could not set permissions or sync',
    );
  }
}

/** The bytes that go to disk: a Fernet token when encryption is on, the plaintext otherwise. */
export async function toDisk(deps: StorageDeps, plain: Uint8Array): Promise<Uint8Array> {
  if (!deps.config.encryptionEnabled) return plain;
  if (!deps.keys) throw new Error('ENCRYPTION_KEY is not configured');
  return new TextEncoder().encode(await encrypt(deps.keys, plain));
}

/** How a Fernet token's base64 starts: the version byte 0x80 and a timestamp whose top bytes are 0. */
export const TOKEN_PREFIX = 'gAAAAA';

/** Fernet tokens start with {@link TOKEN_PREFIX}. */
export function looksEncrypted(bytes: Uint8Array): boolean {
  return bytes.length >= 100 && new TextDecoder().decode(bytes.subarray(0, 6)) === TOKEN_PREFIX;
}

/** The plaintext of bytes read from disk. */
export async function fromDisk(
  deps: StorageDeps,
  bytes: Uint8Array,
  encrypted: boolean,
): Promise<Uint8Array> {
  if (!encrypted) return bytes;
  if (!deps.keys) throw new Error('ENCRYPTION_KEY is not configured: cannot decrypt');
  return decrypt(deps.keys, bytes);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function errorText(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e?.code ?? e?.message ?? String(error);
}

export function isMissing(error: unknown): boolean {
  return (error as { code?: string })?.code === 'ENOENT';
}
