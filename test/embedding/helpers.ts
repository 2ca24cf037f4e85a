/** Shared bits of the embedding tests: temp dirs, signed webhook requests, table names of a SQLite file. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { sign } from '../../plugins/hmac-auth/index.ts';

export const SECRET = 'wsec_embedding_test_secret';
export const WEBHOOK_KEY = 'embedding-webhook-key-0123456789';

export function tempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `elaoms-${label}-`));
}

/** A POST signed like ElevenLabs does (over the exact bytes sent). */
export async function signedPost(url: string, body: unknown, secret = SECRET): Promise<Request> {
  const raw = new TextEncoder().encode(JSON.stringify(body));
  return new Request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'elevenlabs-signature': await sign(secret, raw, Math.floor(Date.now() / 1000)),
    },
    body: raw,
  });
}

/** Runs `fn` on its own connection to a SQLite file, closing it afterwards. */
export function withDb<T>(path: string, fn: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export function tableNames(path: string): string[] {
  return withDb(path, (db) =>
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((row) => String(row.name)),
  );
}
