/**
 * Typed config files in TypeScript: `elaoms.config.ts` default-exports `defineConfig({...})`.
 * Sections are checked against the same schema as JSON files at start-up.
 */
import type { CoreConfig } from './index.ts';

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

/** The shape of a config file: core sections typed, plugin sections free-form (checked at start). */
export type ElaomsConfigFile = DeepPartial<CoreConfig> & {
  [section: string]: Record<string, unknown> | undefined;
};

export function defineConfig(config: ElaomsConfigFile): ElaomsConfigFile {
  return config;
}
