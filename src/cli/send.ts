/**
 * `elaoms send <post-call|client-data|search> [--url URL] [--file FILE]`: sends a realistic,
 * correctly signed (or keyed) sample request to a running instance and prints status and body,
 * so the wiring can be tested without a phone call. `--file` sends a saved payload, re-signed; a file
 * saved with encryption at rest (a Fernet token) is decrypted with ENCRYPTION_KEY first.
 */
import { readFile } from 'node:fs/promises';
import { sign } from '../../plugins/hmac-auth/index.ts';
import { sampleClientData, samplePostCall, sampleSearch } from './samples.ts';
import { decryptStored, hasKeys, isFernetToken } from './stored.ts';

export interface SendOptions {
  kind: string;
  url: string;
  file?: string;
  /** The first ELEVENLABS_WEBHOOK_SECRET. */
  secret?: string;
  /** The first WEBHOOK_API_KEYS key (without its name). */
  apiKey?: string;
  /** ENCRYPTION_KEY, for a `file` saved with encryption at rest. */
  encryptionKey?: string;
  nowSec?: number;
}

const PATHS: Record<string, string> = {
  'post-call': '/webhooks/post-call',
  'client-data': '/webhooks/client-data',
  search: '/webhooks/search-data',
};

export async function send(options: SendOptions): Promise<{ status: number; body: string; path: string }> {
  const path = PATHS[options.kind];
  if (!path)
    throw new TypeError(`unknown kind ${JSON.stringify(options.kind)}: post-call, client-data or search`);
  const nowSec = options.nowSec ?? Math.floor(Date.now() / 1000);
  const sample =
    options.kind === 'post-call'
      ? samplePostCall(nowSec)
      : options.kind === 'client-data'
        ? sampleClientData()
        : sampleSearch();
  const body = options.file
    ? await readPayload(options.file, options.encryptionKey)
    : new TextEncoder().encode(JSON.stringify(sample));
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'elaoms-send' };
  if (options.kind === 'post-call') {
    if (!options.secret)
      throw new TypeError('ELEVENLABS_WEBHOOK_SECRET is not configured: nothing to sign with');
    headers['elevenlabs-signature'] = await sign(options.secret, body, nowSec);
  } else {
    if (!options.apiKey) throw new TypeError('WEBHOOK_API_KEYS is not configured: no key to send');
    headers['x-api-key'] = options.apiKey;
  }
  const target = new URL(path, options.url);
  const response = await fetch(target, { method: 'POST', headers, body }).catch((error: Error) => {
    // The runtime's message does not say where it tried; the operator needs the URL to fix it.
    throw new Error(`cannot reach ${target.origin} (--url to send elsewhere): ${error.message}`);
  });
  return { status: response.status, body: await response.text(), path };
}

/** A saved payload's bytes; decrypted when it was saved with encryption at rest. */
async function readPayload(
  file: string,
  encryptionKey: string | undefined,
): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = new Uint8Array(await readFile(file));
  if (!isFernetToken(bytes)) return bytes;
  if (!hasKeys(encryptionKey))
    throw new TypeError(`${file} was saved encrypted (a Fernet token): set ENCRYPTION_KEY to send it`);
  return new Uint8Array(await decryptStored(file, bytes, encryptionKey));
}
