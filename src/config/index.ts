import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { coreSections } from './schema.ts';

export { defineConfig, type ElaomsConfigFile } from './define.ts';
export {
  ConfigError,
  type ConfigIssue,
  coerce,
  describe,
  findConfigFile,
  isModuleConfig,
  leaves,
  loadConfig,
  type Source,
  settingError,
} from './load.ts';
export { composeSchema, coreSections } from './schema.ts';

const CoreSchema = Type.Object(coreSections);
export type CoreConfig = Static<typeof CoreSchema>;
