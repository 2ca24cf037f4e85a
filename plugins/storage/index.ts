/**
 * The storage plugin: webhook payload files under WEBHOOK_STORAGE_PATH with sidecars, sanitized paths,
 * 0600/0700 permissions, Fernet at rest, quarantine and a retention sweeper. It has no routes; other
 * plugins use its service (`ctx.service('storage')`), and a host that mounts it alone gets the service
 * as the `storage` decorator.
 */
import { fileURLToPath } from 'node:url';
import { Elysia } from 'elysia';
import { type EmbedOptions, embed } from '../../src/embed.ts';
import { definePlugin } from '../../src/plugin.ts';
import { StorageConfig } from './config.ts';
import { loadKeys } from './keys.ts';
import { storageMetrics } from './metrics.ts';
import { createFolders, createStorageService, type StorageService } from './service.ts';

export type { StorageConfig } from './config.ts';
export { decrypt, generateKey, InvalidToken, MAX_PLAINTEXT_BYTES } from './fernet.ts';
export type { SaveInput, SaveResult, VerifyResult } from './files.ts';
export { loadKeys, splitKeys } from './keys.ts';
export type { PayloadExt, PayloadIds } from './layout.ts';
export type { HoldMeta, PromoteInput, QuarantineStore, QuarantineVerdict } from './quarantine.ts';
export type { ListFilter } from './records.ts';
export type { StoredFileRow, SweepRow } from './schema.ts';
export type { StorageSaveInput, StorageService, StorageStats } from './service.ts';
export type { SweepStats } from './sweeper.ts';

export const storagePlugin = definePlugin({
  name: 'storage',
  configKey: 'storage',
  envPrefix: 'STORAGE',
  schema: StorageConfig,
  migrations: fileURLToPath(new URL('../../drizzle/storage', import.meta.url)),
  async create(ctx) {
    const config = ctx.config;
    const keys = await loadKeys(config.encryptionKey, config.encryptionEnabled);
    const deps = {
      config,
      db: ctx.db,
      logger: ctx.logger,
      clock: ctx.clock,
      metrics: storageMetrics(ctx.metrics),
      events: ctx.events,
      keys,
      instanceId: ctx.instanceId,
    };
    await createFolders(deps);
    const runtime = createStorageService(deps);
    const app = new Elysia({ name: 'elaoms/storage', seed: config }).decorate('storage', runtime.service);
    return {
      app,
      service: runtime.service,
      start: runtime.start,
      stop: runtime.stop,
      health: async () => ({ storage: await runtime.health() }),
      notices: () =>
        config.encryptionEnabled
          ? []
          : ['storage: ENABLE_ENCRYPTION_AT_REST is off, payload files are stored in plaintext'],
    };
  },
});

/** The storage plugin alone, for `.use()` in any Elysia app; the service is the `storage` decorator. */
export async function storage(options: EmbedOptions = {}) {
  return (await embed([storagePlugin], options)).app;
}

/** The service type as other plugins fetch it: `ctx.service<StorageService>('storage')`. */
export type StoragePluginService = StorageService;
