/**
 * ENCRYPTION_KEY as a rotation list: comma-separated Fernet keys, the first encrypts and all decrypt.
 * A bad list stops start-up with a ConfigError that names the setting and never shows a key.
 */
import { ConfigError } from '../../src/config/index.ts';
import { type FernetKey, InvalidKeyError, importKey } from './fernet.ts';

const KEY_SETTING = 'storage.encryptionKey';

/** Splits the setting into keys: comma or whitespace separated, empties dropped. */
export function splitKeys(text: string | undefined): string[] {
  return (text ?? '')
    .split(/[\s,]+/)
    .map((k) => k.trim())
    .filter(Boolean);
}

/**
 * Imports every key of the list, or returns null when the list is empty and `required` is false.
 * @throws ConfigError when a key is malformed, or when the list is empty and `required` is true.
 */
export async function loadKeys(text: string | undefined, required: boolean): Promise<FernetKey[] | null> {
  const list = splitKeys(text);
  if (list.length === 0) {
    if (!required) return null;
    throw new ConfigError([
      {
        key: KEY_SETTING,
        source: 'default',
        message:
          'is required when ENABLE_ENCRYPTION_AT_REST is true (set ENCRYPTION_KEY; make one with `bun run elaoms keygen`)',
      },
    ]);
  }
  const keys: FernetKey[] = [];
  for (const [i, key] of list.entries()) {
    try {
      keys.push(await importKey(key));
    } catch (error) {
      if (!(error instanceof InvalidKeyError)) throw error;
      throw new ConfigError([
        {
          key: KEY_SETTING,
          source: 'env ENCRYPTION_KEY',
          message: `key ${i + 1} of ${list.length} is invalid: ${error.message}`,
        },
      ]);
    }
  }
  return keys;
}
