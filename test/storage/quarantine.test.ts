import { afterEach, describe, expect, it } from 'bun:test';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { QuarantineHook } from '../../plugins/hmac-auth/index.ts';
import { sameBytes } from './bytes.ts';
import { KEY_A, type StorageHarness, storageHarness, transcription, walk } from './helpers.ts';

let h: StorageHarness;

afterEach(async () => {
  await h.close();
});

const target = {
  webhookType: 'post_call_transcription',
  conversationId: 'conv_q',
  callerPhone: '+15550109999',
  requestId: 'req-q',
  ext: 'json' as const,
};

describe('quarantine (SEC-6)', () => {
  it('is the hook hmac-auth takes: useQuarantine(storage.quarantine) type-checks and runs', async () => {
    h = await storageHarness();
    const hook: QuarantineHook = h.service.quarantine;
    const id = await hook.hold(transcription('x'), {
      requestId: 'r',
      clientIp: '10.0.0.2',
      receivedAt: h.clock.now(),
      path: '/webhooks/post-call',
    });
    await hook.release(id!, { accepted: false, outcome: 'too_old' });
    expect(h.service.list({ quarantined: true })[0]).toMatchObject({ status: 'failed', requestId: 'r' });
  });

  it('stops holding bodies once the quarantine holds its cap of bytes, and again once bodies leave', async () => {
    h = await storageHarness({ quarantineMaxBytes: 2500 });
    const body = new Uint8Array(1000).fill(0x7b);
    const first = await h.service.quarantine.hold(body);
    const second = await h.service.quarantine.hold(body);
    expect(first).not.toBeNull();
    expect(second).not.toBeNull();
    // A third 1000-byte body would make 3000 > 2500: checked without a copy, nothing written.
    expect(await h.service.quarantine.hold(body)).toBeNull();
    expect((await walk(h.quarantine)).length).toBe(2);
    expect(h.logs.findLast((l) => l.msg?.startsWith('quarantine full'))).toMatchObject({
      bytes: 1000,
      quarantine_bytes: 2000,
      limit: 2500,
    });
    const metrics = await h.core.metrics.metrics();
    expect(metrics).toContain('outcome="over_quota"} 1');
    // Space comes back when held bodies leave (here: dropped); the count is summed again after 10 s.
    await h.service.quarantine.drop(first!);
    expect(await h.service.quarantine.hold(body)).toBeNull();
    h.clock.advance(10_000);
    expect(await h.service.quarantine.hold(body)).not.toBeNull();
  });

  it('holds a body before the check and moves it to its final path when it passes', async () => {
    h = await storageHarness();
    const raw = transcription('conv_q');
    const id = await h.service.quarantine.hold(raw, { requestId: 'req-q', clientIp: '10.0.0.1' });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const held = join(h.quarantine, `${id}.body`);
    expect(sameBytes(new Uint8Array(await readFile(held)), raw)).toBe(true);
    expect(h.service.list({ quarantined: true })[0]).toMatchObject({ path: held, status: 'held' });

    await h.service.quarantine.release(id!, { accepted: true, outcome: 'accepted' });
    expect(h.service.list({ quarantined: true })[0]).toMatchObject({ status: 'passed', validated: true });

    const saved = await h.service.quarantine.promote(id!, target);
    expect(saved!.path).toBe(join(h.base, '+15550109999', 'conv_q_post_call_transcription.json'));
    expect(sameBytes(new Uint8Array(await readFile(saved!.path)), raw)).toBe(true);
    expect(await walk(h.quarantine)).toEqual([]);
    expect(h.service.list({ quarantined: true })).toEqual([]);
    expect(JSON.parse(await readFile(`${saved!.path}.metadata.json`, 'utf8')).validated).toBe(true);
    expect(h.service.stats().quarantine).toMatchObject({ held: 1, passed: 1, promoted: 1, failed: 0 });
  });

  it('promotes at release when the verdict names the target, with a replacement body (decoded MP3)', async () => {
    h = await storageHarness({ encryptionEnabled: true, encryptionKey: KEY_A });
    const id = await h.service.quarantine.hold('{"type":"post_call_audio","data":{"full_audio":"SUQz"}}');
    expect((await readFile(join(h.quarantine, `${id}.body`), 'utf8')).startsWith('gAAAAA')).toBe(true);
    const mp3 = new Uint8Array([0x49, 0x44, 0x33]);
    await h.service.quarantine.release(id!, {
      accepted: true,
      target: { ...target, webhookType: 'post_call_audio', ext: 'mp3', body: mp3 },
    });
    const [row] = h.service.list();
    expect(row).toMatchObject({ type: 'post_call_audio', quarantined: false, encrypted: true });
    expect(sameBytes(await h.service.read(row!.path), mp3)).toBe(true);
    expect(await walk(h.quarantine)).toEqual([]);
  });

  it('save() with the quarantine id consumes the held copy', async () => {
    h = await storageHarness();
    const id = await h.service.quarantine.hold(transcription('conv_q'));
    await h.service.quarantine.release(id!, { accepted: true, outcome: 'accepted' });
    await h.service.save({ ...target, validated: true, body: transcription('conv_q'), quarantineId: id! });
    expect(await walk(h.quarantine)).toEqual([]);
    expect(h.service.list().length).toBe(1);
  });

  it('moves the held file itself into place when its bytes are the payload (same inode, mode kept)', async () => {
    h = await storageHarness();
    const raw = transcription('conv_q');
    const id = await h.service.quarantine.hold(raw);
    const held = await stat(join(h.quarantine, `${id}.body`));
    await h.service.quarantine.release(id!, { accepted: true, outcome: 'accepted' });
    const saved = await h.service.save({ ...target, validated: true, body: raw, quarantineId: id! });
    const stored = await stat(saved!.path);
    expect(stored.ino).toBe(held.ino);
    expect(stored.mode & 0o777).toBe(held.mode & 0o777);
    expect(sameBytes(new Uint8Array(await readFile(saved!.path)), raw)).toBe(true);
    expect(await walk(h.quarantine)).toEqual([]);
    expect(h.service.list()).toMatchObject([{ path: saved!.path, quarantined: false, validated: true }]);
    // The row's checksum (the held copy's, not computed again) is the file's.
    expect(await h.service.verify(saved!.id)).toEqual({ ok: true });
  });

  it('writes the payload anew when the held bytes differ from it (and still drops the held copy)', async () => {
    h = await storageHarness();
    const id = await h.service.quarantine.hold(transcription('other'));
    const held = await stat(join(h.quarantine, `${id}.body`));
    await h.service.quarantine.release(id!, { accepted: true, outcome: 'accepted' });
    const body = transcription('conv_q');
    const saved = await h.service.save({ ...target, validated: true, body, quarantineId: id! });
    expect((await stat(saved!.path)).ino).not.toBe(held.ino);
    expect(sameBytes(new Uint8Array(await readFile(saved!.path)), body)).toBe(true);
    expect(await walk(h.quarantine)).toEqual([]);
  });

  it('writes the payload anew when the held copy cannot be moved, and drops its row', async () => {
    h = await storageHarness();
    const raw = transcription('conv_q');
    const id = await h.service.quarantine.hold(raw);
    await h.service.quarantine.release(id!, { accepted: true, outcome: 'accepted' });
    // The held file is gone before the save renames it (the move fails with ENOENT).
    await rm(join(h.quarantine, `${id}.body`));
    const saved = await h.service.save({ ...target, validated: true, body: raw, quarantineId: id! });
    expect(sameBytes(new Uint8Array(await readFile(saved!.path)), raw)).toBe(true);
    expect(h.service.list({ quarantined: true })).toEqual([]);
    expect(h.service.list()).toMatchObject([{ path: saved!.path, quarantined: false }]);
  });

  it('drops the held copy of an encrypted save, which is written anew', async () => {
    h = await storageHarness({ encryptionEnabled: true, encryptionKey: KEY_A });
    const raw = transcription('conv_q');
    const id = await h.service.quarantine.hold(raw);
    await h.service.quarantine.release(id!, { accepted: true, outcome: 'accepted' });
    const saved = await h.service.save({ ...target, validated: true, body: raw, quarantineId: id! });
    expect(saved!.encrypted).toBe(true);
    expect(sameBytes(await h.service.read(saved!.path), raw)).toBe(true);
    expect(await walk(h.quarantine)).toEqual([]);
    expect(h.service.list({ quarantined: true })).toEqual([]);
  });

  // The payload's row and the deletion of the held copy's row commit together or not at all.
  for (const [step, trigger] of [
    ['the payload row', 'BEFORE INSERT ON storage_files WHEN NEW.quarantined = 0'],
    ["the held copy's row", 'BEFORE DELETE ON storage_files WHEN OLD.quarantined = 1'],
  ]) {
    it(`puts a moved copy back and keeps only its row when ${step} cannot be written`, async () => {
      h = await storageHarness();
      const raw = transcription('conv_q');
      const id = await h.service.quarantine.hold(raw);
      const held = join(h.quarantine, `${id}.body`);
      await h.service.quarantine.release(id!, { accepted: true, outcome: 'accepted' });
      h.core.db.$client.exec(`CREATE TRIGGER refuse ${trigger} BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
      expect(await h.service.save({ ...target, validated: true, body: raw, quarantineId: id! })).toBeNull();
      expect(await walk(h.base)).toEqual([held]);
      expect(sameBytes(new Uint8Array(await readFile(held)), raw)).toBe(true);
      expect(h.service.list()).toMatchObject([{ path: held, quarantined: true, status: 'passed' }]);
      expect(h.service.list().length).toBe(1);
    });
  }

  it('leaves a failing body in quarantine and counts it', async () => {
    h = await storageHarness();
    const id = await h.service.quarantine.hold(transcription('bad'));
    await h.service.quarantine.release(id!, { accepted: false, outcome: 'mismatch' });
    expect(await walk(h.quarantine)).toEqual([join(h.quarantine, `${id}.body`)]);
    expect(h.service.list({ quarantined: true })[0]).toMatchObject({ status: 'failed', validated: false });
    expect(h.service.stats().quarantine.failed).toBe(1);
    expect(await h.service.quarantine.promote(id!, target)).toBeNull();
    const metrics = await h.core.metrics.metrics();
    expect(metrics).toContain('elaoms_storage_quarantine_total{outcome="failed"} 1');
  });

  it('returns null, counts and emits quarantine.failure when the body cannot be written', async () => {
    h = await storageHarness();
    const seen: unknown[] = [];
    h.core.events.on('quarantine.failure', (e) => seen.push(e));
    // A file where the folder should be fails for root too (chmod would not).
    await rm(h.quarantine, { recursive: true });
    await writeFile(h.quarantine, 'not a folder');
    expect(await h.service.quarantine.hold('body', { clientIp: '10.0.0.9', requestId: 'r1' })).toBeNull();
    expect(seen).toEqual([{ ip: '10.0.0.9', reason: expect.stringMatching(/^E[A-Z]+$/), requestId: 'r1' }]);
    expect(h.logs.some((l) => l.msg === 'body could not be quarantined' && l.level === 'error')).toBe(true);
    expect(h.service.stats().quarantine.errors).toBe(1);
  });

  it('does nothing when quarantine is off', async () => {
    h = await storageHarness({ quarantineEnabled: false });
    expect(await h.service.quarantine.hold('body')).toBeNull();
    await h.service.quarantine.release('not-an-id', { accepted: true, outcome: 'accepted' });
    expect(await walk(h.base)).toEqual([]);
  });
});
