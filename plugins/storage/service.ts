/**
 * The storage service: payload files, quarantine, erasure, the retention sweeper and its triggers,
 * and the health check. Runtime-agnostic: clock, logger, db and keys are injected.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { ConfigError } from '../../src/config/index.ts';
import type { HealthCheck } from '../../src/plugin.ts';
import { type AtomicWarning, makeDirs } from './atomic.ts';
import {
  errorText,
  fromDisk,
  logWarnings,
  looksEncrypted,
  newState,
  noteFailure,
  type StorageDeps,
  type StorageState,
  TOKEN_PREFIX,
  toDisk,
} from './deps.ts';
import {
  readStored,
  removeStored,
  type SaveInput,
  type SaveResult,
  saveFile,
  type VerifyResult,
  verifyStored,
} from './files.ts';
import { type QuarantineStore, quarantineStore } from './quarantine.ts';
import { deleteFileRows, fileById, filesOf, type ListFilter, listFiles, recentSweeps } from './records.ts';
import type { StoredFileRow, SweepRow } from './schema.ts';
import { createSweeper, type SweepStats } from './sweeper.ts';

/** A save that may consume a quarantined copy of the same body. */
export interface StorageSaveInput extends Omit<SaveInput, 'from'> {
  /** The quarantine id hmac-auth got for this request; its copy is removed once the payload is stored. */
  quarantineId?: string;
}

/** In-memory counters since start, plus the last sweep. */
export interface StorageStats extends Omit<StorageState, 'lastFailure'> {
  lastSweep?: SweepStats;
}

/** What other plugins (agent-memory) and the CLI use. */
export interface StorageService {
  /** Stores a payload and its sidecar. Never throws: null (logged, counted) on failure. */
  save(input: StorageSaveInput): Promise<SaveResult | null>;
  /** The plaintext of a stored file, decrypted when encrypted. Throws for paths outside storage. */
  read(path: string): Promise<Uint8Array>;
  /** Stored files, newest first (payloads and quarantined bodies; filter with `quarantined`). */
  list(filter?: ListFilter): StoredFileRow[];
  /** Checks a stored file against its recorded SHA-256 (and that it decrypts when encrypted). */
  verify(id: number): Promise<VerifyResult>;
  /** Right to erasure: deletes every file of these conversations; returns how many. */
  deleteForConversation(conversationIds: string[]): Promise<number>;
  /** Right to erasure: deletes every file stored for this caller phone; returns how many. */
  deleteForUser(callerPhone: string): Promise<number>;
  /** The quarantine hook (hmac-auth's useQuarantine) and promotion into main storage. */
  quarantine: QuarantineStore;
  /** Runs the retention sweeper once as of `nowMs` (default: the clock). */
  sweep(nowMs?: number): Promise<SweepStats>;
  /**
   * Text another plugin keeps in the database (agent-memory's queued payloads) as storage keeps files:
   * a Fernet token when encryption at rest is on, unchanged otherwise.
   */
  seal(text: string): Promise<string>;
  /** The text of {@link seal}'s result; text that is not a token (older rows, encryption off) is returned as is. */
  unseal(text: string): Promise<string>;
  /** {@link seal} for bytes another plugin keeps elsewhere (agent-memory's audio in the cache). */
  sealBytes(bytes: Uint8Array): Promise<Uint8Array>;
  /** The bytes of {@link sealBytes}' result; bytes that are no token are returned as they are. */
  unsealBytes(bytes: Uint8Array): Promise<Uint8Array>;
  /** Counts a webhook request that stored nothing; save() counts itself. */
  noteRequest(): void;
  stats(): StorageStats;
  sweeps(limit?: number): SweepRow[];
}

/** The service plus the lifecycle and health the plugin wires. */
export interface StorageRuntime {
  service: StorageService;
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): Promise<HealthCheck>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Builds the service. Directories are created by start(); nothing happens before. */
export function createStorageService(deps: StorageDeps): StorageRuntime {
  const state = newState();
  const sweeper = createSweeper(deps);
  const quarantine = quarantineStore(deps, state);
  let timer: ReturnType<typeof setInterval> | undefined;

  async function erase(rows: StoredFileRow[]): Promise<number> {
    const gone: number[] = [];
    for (const row of rows) {
      try {
        await removeStored(row);
        gone.push(row.id);
      } catch (error) {
        noteFailure(deps, state, 'erase', error);
        deps.logger.error({ file_id: row.id, reason: errorText(error) }, 'file could not be erased');
      }
    }
    deleteFileRows(deps.db, gone);
    return gone.length;
  }

  const service: StorageService = {
    async save(input) {
      const { quarantineId, ...rest } = input;
      // The verified body's held copy is renamed into place rather than written a second time.
      const from = quarantineId ? quarantine.movableCopy(quarantineId, rest.body) : undefined;
      const saved = await saveFile(deps, state, from ? { ...rest, from } : rest);
      // A moved copy's row went with the payload's; a copy left behind (written anew) is dropped.
      if (saved && quarantineId && !from?.consumed) await quarantine.drop(quarantineId);
      sweeper.noteRequest();
      return saved;
    },
    read: (path) => readStored(deps, path),
    list: (filter) => listFiles(deps.db, filter),
    verify: (id) => verifyStored(deps, fileById(deps.db, id)),
    deleteForConversation: (ids) => erase(filesOf(deps.db, { conversationIds: ids })),
    deleteForUser: (phone) => erase(filesOf(deps.db, { callerPhone: phone })),
    quarantine,
    sweep: (nowMs) => sweeper.sweep(nowMs),
    async seal(text) {
      // Unencrypted, the text is kept as it is (no 23 KB encode and decode per post-call).
      if (!deps.config.encryptionEnabled) return text;
      return decoder.decode(await toDisk(deps, encoder.encode(text)));
    },
    async unseal(text) {
      // Only a text that starts like a token can be one: others are not encoded to check.
      if (!text.startsWith(TOKEN_PREFIX)) return text;
      const bytes = encoder.encode(text);
      return looksEncrypted(bytes) ? decoder.decode(await fromDisk(deps, bytes, true)) : text;
    },
    async sealBytes(bytes) {
      return deps.config.encryptionEnabled ? toDisk(deps, bytes) : bytes;
    },
    async unsealBytes(bytes) {
      return looksEncrypted(bytes) ? fromDisk(deps, bytes, true) : bytes;
    },
    noteRequest: () => sweeper.noteRequest(),
    stats: () => {
      const { lastFailure: _ignored, ...counters } = state;
      return { ...counters, quarantine: { ...state.quarantine }, lastSweep: sweeper.last() };
    },
    sweeps: (limit) => recentSweeps(deps.db, limit),
  };

  return {
    service,
    async start() {
      const every = deps.config.cleanupEverySeconds;
      if (every > 0 && !timer) {
        timer = setInterval(sweeper.kick, every * 1000);
        (timer as { unref?: () => void }).unref?.();
      }
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await sweeper.idle();
    },
    async health() {
      const started = performance.now();
      const window = deps.config.failureWindowSeconds * 1000;
      const recent = state.lastFailureAt !== undefined && deps.clock.now() - state.lastFailureAt < window;
      const counters = `saved ${state.saved}, failed ${state.failures}, quarantine held ${state.quarantine.held} failed ${state.quarantine.failed}`;
      try {
        await access(deps.config.path, constants.W_OK);
      } catch (error) {
        return down(`storage folder not writable (${errorText(error)}); ${counters}`, started);
      }
      if (recent) return down(`recent write failure (${state.lastFailure}); ${counters}`, started);
      return { status: 'up', required: false, latencyMs: performance.now() - started, detail: counters };
    },
  };
}

function down(detail: string, started: number): HealthCheck {
  return { status: 'down', required: false, latencyMs: performance.now() - started, detail };
}

/**
 * Creates the storage and quarantine folders with the configured mode (DEP-1.4).
 * @throws ConfigError naming the setting when a folder cannot be created.
 */
export async function createFolders(deps: StorageDeps): Promise<void> {
  const warnings: AtomicWarning[] = [];
  const folders: Array<[string, string, string]> = [
    [deps.config.path, 'storage.path', 'WEBHOOK_STORAGE_PATH'],
  ];
  if (deps.config.quarantineEnabled) {
    folders.push([deps.config.quarantinePath, 'storage.quarantinePath', 'WEBHOOK_QUARANTINE_PATH']);
  }
  for (const [path, key, env] of folders) {
    try {
      await makeDirs(path, deps.config.dirMode, warnings);
      await access(path, constants.W_OK);
    } catch (error) {
      throw new ConfigError([
        { key, source: `env ${env}`, message: `cannot create or write ${path}: ${errorText(error)}` },
      ]);
    }
  }
  logWarnings(deps.logger, warnings);
}
