import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sameBytes } from './bytes.ts';
import { modeOf, mp3Bytes, type StorageHarness, storageHarness, transcription, walk } from './helpers.ts';

let h: StorageHarness;

beforeEach(async () => {
  h = await storageHarness();
});

afterEach(async () => {
  await h.close();
});

describe('save: layout (DS-2.4, the README rule)', () => {
  it('puts a transcription under the caller phone as {conversation}_{type}.json with a sidecar', async () => {
    const body = transcription('conv_1');
    const saved = await h.service.save({
      webhookType: 'post_call_transcription',
      conversationId: 'conv_1',
      agentId: 'agent_9',
      callerPhone: '+15550109999',
      requestId: 'req-1',
      validated: true,
      body,
      ext: 'json',
    });
    const path = join(h.base, '+15550109999', 'conv_1_post_call_transcription.json');
    expect(saved).toEqual({ id: expect.any(Number), path, bytes: body.length, encrypted: false });
    expect(sameBytes(new Uint8Array(await readFile(path)), body)).toBe(true);

    const sidecar = JSON.parse(await readFile(`${path}.metadata.json`, 'utf8'));
    expect(sidecar).toEqual({
      webhook_type: 'post_call_transcription',
      validated: true,
      timestamp: '2026-01-01T00:00:00.000Z',
      file_path: path,
      request_id: 'req-1',
      file_size: body.length,
      directory_name: '+15550109999',
      encrypted: false,
      plaintext_size: body.length,
    });
  });

  it('puts audio under the caller phone as .mp3 with the exact bytes', async () => {
    const body = mp3Bytes();
    const saved = await h.service.save({
      webhookType: 'post_call_audio',
      conversationId: 'conv_2',
      callerPhone: '+15550100000',
      validated: true,
      body,
      ext: 'mp3',
    });
    expect(saved!.path).toBe(join(h.base, '+15550100000', 'conv_2_post_call_audio.mp3'));
    expect(sameBytes(new Uint8Array(await readFile(saved!.path)), body)).toBe(true);
  });

  it('puts a failure under the agent id, and falls back to the conversation id', async () => {
    const failure = await h.service.save({
      webhookType: 'call_initiation_failure',
      conversationId: 'conv_3',
      agentId: 'agent_7',
      callerPhone: '+15550101111',
      validated: true,
      body: transcription('conv_3'),
      ext: 'json',
    });
    expect(failure!.path).toBe(join(h.base, 'agent_7', 'conv_3_call_initiation_failure.json'));

    const noPhone = await h.service.save({
      webhookType: 'post_call_transcription',
      conversationId: 'conv_4',
      agentId: 'agent_7',
      callerPhone: '  ',
      validated: false,
      body: transcription('conv_4'),
      ext: 'json',
    });
    expect(noPhone!.path).toBe(join(h.base, 'conv_4', 'conv_4_post_call_transcription.json'));
  });

  it('appends a timestamp when the name is taken, and again with a counter (FR-4.6)', async () => {
    const input = {
      webhookType: 'post_call_transcription',
      conversationId: 'conv_5',
      callerPhone: '+1555',
      validated: true,
      ext: 'json' as const,
    };
    const first = await h.service.save({ ...input, body: transcription('a') });
    const second = await h.service.save({ ...input, body: transcription('b') });
    const third = await h.service.save({ ...input, body: transcription('c') });
    const dir = join(h.base, '+1555');
    expect(first!.path).toBe(join(dir, 'conv_5_post_call_transcription.json'));
    expect(second!.path).toBe(join(dir, 'conv_5_post_call_transcription_20260101T000000000Z.json'));
    expect(third!.path).toBe(join(dir, 'conv_5_post_call_transcription_20260101T000000000Z_1.json'));
    expect(await readFile(first!.path, 'utf8')).toContain('"a"');
    expect(await readFile(second!.path, 'utf8')).toContain('"b"');
  });

  it('gives concurrent saves of the same conversation distinct files', async () => {
    const saves = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        h.service.save({
          webhookType: 'post_call_transcription',
          conversationId: 'same',
          callerPhone: '+1',
          validated: true,
          body: transcription(`n${i}`),
          ext: 'json',
        }),
      ),
    );
    expect(new Set(saves.map((s) => s!.path)).size).toBe(5);
    expect((await walk(join(h.base, '+1'))).length).toBe(10);
  });
});

describe('save: permissions (SEC-4)', () => {
  it('writes files 0600 and folders 0700 by default', async () => {
    const saved = await h.service.save({
      webhookType: 'post_call_audio',
      conversationId: 'c',
      callerPhone: '+1',
      validated: true,
      body: mp3Bytes(),
      ext: 'mp3',
    });
    expect(await modeOf(saved!.path)).toBe(0o600);
    expect(await modeOf(`${saved!.path}.metadata.json`)).toBe(0o600);
    expect(await modeOf(join(h.base, '+1'))).toBe(0o700);
    expect(await modeOf(h.base)).toBe(0o700);
    expect(await modeOf(h.quarantine)).toBe(0o700);
  });

  it('applies FILE_PERMISSIONS_MODE given in octal through the environment', async () => {
    await h.close();
    const { createCore } = await import('../../src/core.ts');
    const { storagePlugin } = await import('../../plugins/storage/index.ts');
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const root = await mkdtemp(join(tmpdir(), 'elaoms-mode-'));
    const core = await createCore({
      plugins: [storagePlugin],
      config: { database: { path: ':memory:' }, log: { level: 'silent' } },
      env: {
        WEBHOOK_STORAGE_PATH: join(root, 'w'),
        WEBHOOK_QUARANTINE_PATH: join(root, 'q'),
        FILE_PERMISSIONS_MODE: '0640',
      },
    });
    const saved = await core.service<any>('storage').save({
      webhookType: 'post_call_transcription',
      conversationId: 'c',
      validated: true,
      body: transcription('c'),
      ext: 'json',
    });
    expect(await modeOf(saved.path)).toBe(0o640);
    await core.stop();
    await rm(root, { recursive: true, force: true });
    h = await storageHarness();
  });
});

describe('save: records (every stored file is a row)', () => {
  it('lists, verifies and records size, checksum and flags', async () => {
    const saved = await h.service.save({
      webhookType: 'post_call_transcription',
      conversationId: 'conv_r',
      callerPhone: '+1',
      validated: true,
      body: transcription('conv_r'),
      ext: 'json',
    });
    const [row] = h.service.list({ quarantined: false });
    expect(row).toMatchObject({
      id: saved!.id,
      path: saved!.path,
      type: 'post_call_transcription',
      conversationId: 'conv_r',
      callerPhone: '+1',
      dir: '+1',
      size: saved!.bytes,
      encrypted: false,
      validated: true,
      quarantined: false,
      createdAt: h.clock.now(),
    });
    expect(row!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await h.service.verify(saved!.id)).toEqual({ ok: true });

    const { writeFile } = await import('node:fs/promises');
    await writeFile(saved!.path, 'tampered');
    expect(await h.service.verify(saved!.id)).toEqual({ ok: false, problem: 'checksum' });
    expect(await h.service.verify(9999)).toEqual({ ok: false, problem: 'unknown' });
  });

  it('erases by conversation and by caller phone, files and sidecars', async () => {
    const base = { webhookType: 'post_call_transcription', validated: true, ext: 'json' as const };
    const a = await h.service.save({
      ...base,
      conversationId: 'c1',
      callerPhone: '+1',
      body: transcription('1'),
    });
    await h.service.save({ ...base, conversationId: 'c2', callerPhone: '+1', body: transcription('2') });
    const keep = await h.service.save({
      ...base,
      conversationId: 'c3',
      callerPhone: '+2',
      body: transcription('3'),
    });

    expect(await h.service.deleteForConversation(['c1'])).toBe(1);
    expect(await h.service.deleteForUser('+1')).toBe(1);
    expect((await walk(h.base)).sort()).toEqual([keep!.path, `${keep!.path}.metadata.json`].sort());
    expect(h.service.list().map((r) => r.conversationId)).toEqual(['c3']);
    expect(a).not.toBeNull();
  });
});
