/** The memory plugin's public types, imported in one place. */
export type {
  ConversationRecord,
  MemoryBackend,
  MemoryItem,
  Scope,
  Turn,
  UserSummary,
} from '../memory/index.ts';
