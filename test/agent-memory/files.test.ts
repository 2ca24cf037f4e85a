import { afterEach, describe, expect, it } from 'bun:test';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { CacheService } from '../../plugins/cache/index.ts';
import { sign } from '../../plugins/hmac-auth/index.ts';
import type { StorageService } from '../../plugins/storage/index.ts';
import { type Harness, harness, SECRET, tempDir } from './harness.ts';
import { audio, initiationFailure, transcription } from './payloads.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(join(dir, 'webhooks'), { recursive: true }).catch(() => [] as string[]);
  return entries.map(String).filter((name) => /\.(json|mp3)$/.test(name) && !name.endsWith('.metadata.json'));
}

const MP3 = Buffer.from('ID3 fake mp3 bytes').toString('base64');

/** Signs and posts a post-call body with a request id (the MP3's sidecar records it). */
async function post(body: unknown, requestId: string): Promise<Response> {
  const raw = new TextEncoder().encode(JSON.stringify(body));
  return h.request('/webhooks/post-call', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'elevenlabs-signature': await sign(SECRET, raw, Math.floor(Date.now() / 1000)),
      'x-request-id': requestId,
    },
    body: raw,
  });
}

describe('post-call payload files (FR-1.11, FR-1.14)', () => {
  it('saves the transcription JSON under the caller, with the exact bytes', async () => {
    h = await harness();
    const body = transcription({ conversationId: 'conv_file', callerId: '+15550000042' });
    await h.postCall(body);
    const saved = await files(h.dir);
    expect(saved.length).toBe(1);
    expect(saved[0]).toContain('conv_file_post_call_transcription.json');
    expect(saved[0]).toContain('15550000042');
    expect(await readFile(join(h.dir, 'webhooks', saved[0]!), 'utf8')).toBe(JSON.stringify(body));
  });

  it('keeps audio that comes first until its transcription arrives, then saves the MP3', async () => {
    h = await harness();
    const first = await h.postCall(audio('conv_audio', 'agent_test', MP3));
    expect(first.status).toBe(200);
    expect((await first.json()).status).toBe('received');
    expect((await files(h.dir)).filter((f) => f.endsWith('.mp3'))).toEqual([]);
    await h.postCall(transcription({ conversationId: 'conv_audio' }));
    const mp3 = (await files(h.dir)).filter((f) => f.endsWith('.mp3'));
    expect(mp3.length).toBe(1);
    expect(mp3[0]).toContain('conv_audio_post_call_audio.mp3');
    expect(await readFile(join(h.dir, 'webhooks', mp3[0]!), 'utf8')).toBe('ID3 fake mp3 bytes');
  });

  it('seals audio waiting in the cache and the table when encryption at rest is on', async () => {
    h = await harness({
      config: {
        storage: { encryptionEnabled: true, encryptionKey: 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=' },
      },
    });
    await h.postCall(audio('conv_sealed_audio', 'agent_test', MP3));
    const cache = h.core.service<CacheService>('cache').namespace('audio-pairing');
    const held = Buffer.from((await cache.get('audio:conv_sealed_audio'))!).toString('latin1');
    expect(held.startsWith('gAAAAA')).toBe(true);
    expect(held).not.toContain('fake mp3');
    const [row] = h.core.db.all<{ audio: string }>(
      sql`SELECT audio FROM agent_memory_audio WHERE conversation_id = 'conv_sealed_audio'`,
    );
    expect(row!.audio.startsWith('gAAAAA')).toBe(true);

    await h.postCall(transcription({ conversationId: 'conv_sealed_audio' }));
    const storage = h.core.service<StorageService>('storage');
    const [mp3] = storage.list().filter((f) => f.path.endsWith('.mp3'));
    expect(Buffer.from(await storage.read(mp3!.path)).toString('utf8')).toBe('ID3 fake mp3 bytes');
    expect(await cache.get('audio:conv_sealed_audio')).toBeNull();
  });

  it('saves audio at once when its transcription came first', async () => {
    h = await harness();
    await h.postCall(transcription({ conversationId: 'conv_late_audio' }));
    await h.postCall(audio('conv_late_audio', 'agent_test', MP3));
    expect((await files(h.dir)).filter((f) => f.endsWith('.mp3')).length).toBe(1);
  });

  it('saves audio that arrives after a restart emptied the memory cache, when its transcription is stored', async () => {
    const dir = await tempDir();
    const dbPath = join(dir, 'elaoms.db');
    try {
      h = await harness({ dir, dbPath });
      await h.postCall(transcription({ conversationId: 'conv_restart_audio', callerId: '+15550000043' }));
      await h.close();
      // A new process on the same database and files; its memory cache knows nothing of the transcription.
      h = await harness({ dir, dbPath });
      const response = await h.postCall(audio('conv_restart_audio', 'agent_test', MP3));
      expect(response.status).toBe(200);
      const mp3 = (await files(dir)).filter((f) => f.endsWith('.mp3'));
      expect(mp3.length).toBe(1);
      expect(mp3[0]).toContain('15550000043');
      expect(await readFile(join(dir, 'webhooks', mp3[0]!), 'utf8')).toBe('ID3 fake mp3 bytes');
    } finally {
      await h.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps audio that came first across a restart, then files it under the caller when the transcription arrives', async () => {
    const dir = await tempDir();
    const dbPath = join(dir, 'elaoms.db');
    try {
      h = await harness({ dir, dbPath });
      const first = await post(audio('conv_audio_restart', 'agent_test', MP3), 'req-audio-restart');
      expect(first.status).toBe(200);
      expect((await files(dir)).filter((f) => f.endsWith('.mp3'))).toEqual([]);
      await h.close();
      // A new process on the same database and files, with a fresh memory cache.
      h = await harness({ dir, dbPath });
      await h.postCall(transcription({ conversationId: 'conv_audio_restart', callerId: '+15550000044' }));
      const mp3 = (await files(dir)).filter((f) => f.endsWith('.mp3'));
      expect(mp3.length).toBe(1);
      expect(mp3[0]).toContain('15550000044');
      expect(mp3[0]).toContain('conv_audio_restart_post_call_audio.mp3');
      expect(await readFile(join(dir, 'webhooks', mp3[0]!), 'utf8')).toBe('ID3 fake mp3 bytes');
      const sidecar = JSON.parse(await readFile(join(dir, 'webhooks', `${mp3[0]!}.metadata.json`), 'utf8'));
      expect(sidecar.request_id).toBe('req-audio-restart');
      expect(h.core.db.all(sql`SELECT conversation_id FROM agent_memory_audio`)).toEqual([]);
    } finally {
      await h.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('seals waiting audio with the storage key when encryption at rest is on', async () => {
    const key = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
    h = await harness({ config: { storage: { encryptionEnabled: true, encryptionKey: key } } });
    await h.postCall(audio('conv_audio_sealed', 'agent_test', MP3));
    const [row] = h.core.db.all<{ audio: string }>(sql`SELECT audio FROM agent_memory_audio`);
    expect(row!.audio.startsWith('gAAAAA')).toBe(true);
    expect(row!.audio).not.toContain(MP3);
    await h.postCall(transcription({ conversationId: 'conv_audio_sealed' }));
    const mp3 = (await files(h.dir)).filter((f) => f.endsWith('.mp3'));
    expect(mp3.length).toBe(1);
    expect(h.core.db.all(sql`SELECT conversation_id FROM agent_memory_audio`)).toEqual([]);
  });

  it('drops audio whose transcription came after the audio TTL', async () => {
    let now = Date.UTC(2026, 0, 1);
    h = await harness({ clock: { now: () => now }, config: { cache: { audioTtlSeconds: 60 } } });
    await h.postCall(audio('conv_audio_late', 'agent_test', MP3));
    now += 61_000;
    await h.postCall(transcription({ conversationId: 'conv_audio_late' }));
    expect((await files(h.dir)).filter((f) => f.endsWith('.mp3'))).toEqual([]);
    expect(h.logs.some((l) => l.msg === 'waiting call audio expired before its transcription')).toBe(true);
  });

  it('saves a call initiation failure at once, under the agent', async () => {
    h = await harness();
    const response = await h.postCall(initiationFailure('conv_busy', 'agent_fail'));
    expect((await response.json()).status).toBe('received');
    const saved = await files(h.dir);
    expect(saved.length).toBe(1);
    expect(saved[0]).toContain('agent_fail');
    expect(saved[0]).toContain('conv_busy_call_initiation_failure.json');
  });

  it('still answers 200 when storage cannot write', async () => {
    h = await harness();
    // The storage folder becomes a plain file after boot: every write under it fails.
    await rm(join(h.dir, 'webhooks'), { recursive: true, force: true });
    await writeFile(join(h.dir, 'webhooks'), 'not a folder');
    const response = await h.postCall(transcription({ conversationId: 'conv_nofile' }));
    expect(response.status).toBe(200);
    expect((await response.json()).status).toBe('received');
    expect(h.logs.some((l) => l.level === 'error' && /save|stor/i.test(l.msg))).toBe(true);
  });
});
