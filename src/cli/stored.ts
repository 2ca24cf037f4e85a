/**
 * Reading payload files the storage plugin wrote: with encryption at rest they hold a Fernet token,
 * which `elaoms decrypt` prints and `elaoms send --file` sends as plaintext.
 */
import { decrypt, InvalidToken, loadKeys, splitKeys } from '../../plugins/storage/index.ts';

/** Fernet tokens are base64url text whose first byte is the version 0x80, then a timestamp: "gAAAAA". */
const FERNET = /^gAAAAA[A-Za-z0-9_-]+={0,2}\s*$/;

/** Whether `bytes` is a Fernet token (as saved with ENABLE_ENCRYPTION_AT_REST) rather than a payload. */
export function isFernetToken(bytes: Uint8Array): boolean {
  if (bytes.length < 16 || bytes[0] !== 0x67 /* g */) return false;
  return FERNET.test(new TextDecoder().decode(bytes));
}

/** Thrown when a stored file cannot be decrypted; the message names the file, never a key. */
export class StoredFileError extends Error {}

/**
 * The plaintext of a stored file, decrypted with `encryptionKey` (ENCRYPTION_KEY: any of its keys).
 * @throws ConfigError for a missing or malformed key; StoredFileError when no key decrypts it.
 */
export async function decryptStored(
  file: string,
  bytes: Uint8Array,
  encryptionKey: string | undefined,
): Promise<Uint8Array> {
  const keys = (await loadKeys(encryptionKey, true))!;
  try {
    return await decrypt(keys, bytes);
  } catch (error) {
    if (!(error instanceof InvalidToken)) throw error;
    throw new StoredFileError(
      `${file} is not a Fernet token these keys can decrypt (not encrypted, wrong key, or damaged)`,
    );
  }
}

/** Whether ENCRYPTION_KEY holds any key. */
export function hasKeys(encryptionKey: string | undefined): boolean {
  return splitKeys(encryptionKey).length > 0;
}
