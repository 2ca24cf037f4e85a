import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { mkdir, symlink } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { isSafeSegment } from '../../plugins/storage/sanitize.ts';
import { type StorageHarness, storageHarness, transcription, walk } from './helpers.ts';

const HOSTILE = [
  '..',
  '.',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '....//....//etc',
  '/etc/passwd',
  '//etc//passwd',
  'C:\\Windows\\System32',
  '\\\\?\\C:\\x',
  '%2e%2e%2f%2e%2e%2fetc',
  '..%2f..%2f',
  '%c0%ae%c0%ae%c0%af',
  '\0',
  'conv\0.json',
  'line\r\nbreak',
  'CON',
  'lpt9.mp3',
  'COM\u00b9',
  'file.txt::$DATA',
  '\uff0e\uff0e\uff0f\uff0e\uff0e\uff0fetc',
  '\uff3c..\ufe68',
  '\u202egnp.exe',
  '\ud800',
  '-rf',
  '.env',
  '*',
  'quarantine',
  '',
  '   ',
  'x'.repeat(4100),
  `${'a'.repeat(250)}/../../etc/passwd`,
];

let h: StorageHarness;

beforeEach(async () => {
  h = await storageHarness();
});

afterEach(async () => {
  await h.close();
});

function inside(base: string, path: string): boolean {
  return resolve(path).startsWith(resolve(base) + sep);
}

describe('save: hostile ids never escape the base folder', () => {
  it('keeps every file inside the base, on the allow-list, for every id in every position', async () => {
    for (const id of HOSTILE) {
      for (const position of ['conversationId', 'callerPhone', 'agentId', 'webhookType'] as const) {
        const input = {
          webhookType: 'call_initiation_failure',
          conversationId: 'conv',
          validated: false,
          body: transcription('x'),
          ext: 'json' as const,
          [position]: id,
        };
        const saved = await h.service.save(input);
        expect(saved).not.toBeNull();
        expect(inside(h.base, saved!.path)).toBe(true);
        const parts = relative(h.base, saved!.path).split(sep);
        expect(parts.length).toBe(2);
        expect(isSafeSegment(parts[0]!, { maxBytes: 255 })).toBe(true);
        expect(isSafeSegment(parts[1]!, { maxBytes: 255 })).toBe(true);
        expect(Buffer.byteLength(`${parts[1]}.metadata.json`)).toBeLessThanOrEqual(255);
      }
    }
    for (const file of await walk(h.root)) expect(inside(h.base, file)).toBe(true);
    expect(h.service.list({ quarantined: false }).length).toBe(HOSTILE.length * 4);
  });

  it('never writes payloads into the quarantine folder, even for an id named like it', async () => {
    const saved = await h.service.save({
      webhookType: 'post_call_transcription',
      conversationId: 'quarantine',
      validated: true,
      body: transcription('q'),
      ext: 'json',
    });
    expect(saved!.path).toBe(join(h.base, '_quarantine', 'quarantine_post_call_transcription.json'));
  });

  it('refuses and logs a write whose folder is a symlink out of the base', async () => {
    const outside = join(h.root, 'outside');
    await mkdir(outside);
    await symlink(outside, join(h.base, '+1666'));
    const saved = await h.service.save({
      webhookType: 'post_call_transcription',
      conversationId: 'c',
      callerPhone: '+1666',
      validated: true,
      body: transcription('c'),
      ext: 'json',
    });
    expect(saved).toBeNull();
    expect(await walk(outside)).toEqual([]);
    const line = h.logs.find((l) => l.msg === 'payload refused: path outside the storage folder');
    expect(line?.level).toBe('error');
    expect(h.service.stats().failures).toBe(1);
  });

  it('refuses to read a path outside storage', async () => {
    let error: unknown;
    try {
      await h.service.read('/etc/passwd');
    } catch (e) {
      error = e;
    }
    expect((error as Error).name).toBe('PathEscapeError');
  });
});
