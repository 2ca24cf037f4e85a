import { afterEach, describe, expect, it } from 'bun:test';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { storagePlugin } from '../../plugins/storage/index.ts';
import { ConfigError } from '../../src/config/index.ts';
import { createCore } from '../../src/core.ts';
import { sameBytes } from './bytes.ts';
import {
  KEY_A,
  KEY_B,
  mp3Bytes,
  type StorageHarness,
  storageHarness,
  transcription,
  walk,
} from './helpers.ts';

let h: StorageHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

const SECRET = 'caller said the secret word pineapple';

async function startFailure(storage: Record<string, unknown>): Promise<ConfigError> {
  try {
    const core = await createCore({
      plugins: [storagePlugin],
      config: { database: { path: ':memory:' }, log: { level: 'silent' }, storage },
      env: {},
    });
    await core.stop();
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected start-up to fail');
}

describe('encryption at rest (SEC-5)', () => {
  it('writes only Fernet tokens: no plaintext in any file, and read() decrypts', async () => {
    h = await storageHarness({ encryptionEnabled: true, encryptionKey: KEY_A });
    const body = transcription('conv_e', { transcript: SECRET });
    const saved = await h.service.save({
      webhookType: 'post_call_transcription',
      conversationId: 'conv_e',
      callerPhone: '+1',
      validated: true,
      body,
      ext: 'json',
    });
    expect(saved!.encrypted).toBe(true);
    const onDisk = await readFile(saved!.path, 'utf8');
    expect(onDisk.startsWith('gAAAAA')).toBe(true);
    for (const file of await walk(h.root)) expect(await readFile(file, 'utf8')).not.toContain('pineapple');
    expect(sameBytes(await h.service.read(saved!.path), body)).toBe(true);
    expect(h.service.list()[0]!.encrypted).toBe(true);
    // The checksum is of the token on disk (verify() needs no key), not of the plaintext.
    const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
    expect(h.service.list()[0]!.sha256).toBe(sha256(await readFile(saved!.path)));
    expect(h.service.list()[0]!.sha256).not.toBe(sha256(body));
    expect(await h.service.verify(saved!.id)).toEqual({ ok: true });
  });

  it('round-trips binary MP3 bytes', async () => {
    h = await storageHarness({ encryptionEnabled: true, encryptionKey: KEY_A });
    const body = mp3Bytes(300_000);
    const saved = await h.service.save({
      webhookType: 'post_call_audio',
      conversationId: 'conv_a',
      callerPhone: '+1',
      validated: true,
      body,
      ext: 'mp3',
    });
    expect(sameBytes(await h.service.read(saved!.path), body)).toBe(true);
  });

  it('rotates keys: a file written under the old key still reads after a new key is put first', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const root = await mkdtemp(join(tmpdir(), 'elaoms-rotate-'));
    const db = { path: join(root, 'db.sqlite') };
    const old = await storageHarness(
      { encryptionEnabled: true, encryptionKey: KEY_A },
      { root, database: db },
    );
    const body = transcription('r', { transcript: SECRET });
    const saved = await old.service.save({
      webhookType: 'post_call_transcription',
      conversationId: 'r',
      validated: true,
      body,
      ext: 'json',
    });
    await old.close();

    h = await storageHarness(
      { encryptionEnabled: true, encryptionKey: `${KEY_B}, ${KEY_A}` },
      { root, database: db },
    );
    expect(sameBytes(await h.service.read(saved!.path), body)).toBe(true);
    await h.close();

    h = await storageHarness({ encryptionEnabled: true, encryptionKey: KEY_B }, { root, database: db });
    expect(await h.service.verify(saved!.id)).toEqual({ ok: false, problem: 'undecryptable' });
    await h.close();
    h = undefined;
    await rm(root, { recursive: true, force: true });
  });

  it('stops start-up with a clear message when enabled without a key', async () => {
    const error = await startFailure({ encryptionEnabled: true });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('storage.encryptionKey');
    expect(error.message).toContain('ENCRYPTION_KEY');
  });

  it('stops start-up when a key of the list is malformed, without echoing it', async () => {
    const bad = 'not-a-fernet-key-but-a-secret-value';
    const error = await startFailure({ encryptionEnabled: true, encryptionKey: `${KEY_A},${bad}` });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('key 2 of 2 is invalid');
    expect(error.message).not.toContain(bad);
  });

  it('refuses (and never writes plaintext) when the payload exceeds the Fernet cap', async () => {
    h = await storageHarness({ encryptionEnabled: true, encryptionKey: KEY_A });
    const saved = await h.service.save({
      webhookType: 'post_call_audio',
      conversationId: 'big',
      validated: true,
      body: new Uint8Array(64 * 1024 * 1024 + 1),
      ext: 'mp3',
    });
    expect(saved).toBeNull();
    expect(await walk(h.base)).toEqual([]);
    expect(h.service.stats().failures).toBe(1);
  });
});
