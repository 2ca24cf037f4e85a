import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMP_SUFFIX, writeFileAtomic } from '../../plugins/storage/atomic.ts';
import { sameBytes } from './bytes.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'elaoms-atomic-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

describe('writeFileAtomic: content and permissions', () => {
  it('writes the exact bytes with 0600 and creates every missing directory with 0700', async () => {
    const path = join(root, 'a', 'b', 'c', 'conv_1_post_call_audio.mp3');
    const data = Uint8Array.from({ length: 256 }, (_, i) => i);
    const result = await writeFileAtomic(path, data);

    expect(result).toEqual({ path, bytes: 256, warnings: [] });
    expect(new Uint8Array(await readFile(path))).toEqual(data);
    expect(await modeOf(path)).toBe(0o600);
    for (const dir of ['a', 'a/b', 'a/b/c']) expect(await modeOf(join(root, dir))).toBe(0o700);
  });

  it('leaves the mode of directories it did not create alone', async () => {
    const before = await modeOf(root);
    await writeFileAtomic(join(root, 'x.json'), '{}');
    expect(await modeOf(root)).toBe(before);
  });

  it('sets the requested modes exactly, even bits the umask would clear', async () => {
    const path = join(root, 'shared', 'file.json');
    await writeFileAtomic(path, 'text', { mode: 0o666, dirMode: 0o777 });
    expect(await modeOf(path)).toBe(0o666);
    expect(await modeOf(join(root, 'shared'))).toBe(0o777);
    expect(await readFile(path, 'utf8')).toBe('text');
  });

  it('replaces an existing file, taking the new mode', async () => {
    const path = join(root, 'f.json');
    await writeFile(path, 'old old old', { mode: 0o644 });
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(await modeOf(path)).toBe(0o600);
  });

  it('writes streamed chunks (sync and async iterables) and an empty file', async () => {
    async function* chunks() {
      yield new Uint8Array([1, 2]);
      yield 'é';
      yield new Uint8Array(0);
    }
    const a = join(root, 'async.bin');
    expect((await writeFileAtomic(a, chunks())).bytes).toBe(4);
    expect([...(await readFile(a))]).toEqual([1, 2, 0xc3, 0xa9]);

    const b = join(root, 'sync.bin');
    await writeFileAtomic(b, [new Uint8Array([9]), new Uint8Array([8])]);
    expect([...(await readFile(b))]).toEqual([9, 8]);

    const c = join(root, 'empty.bin');
    expect((await writeFileAtomic(c, new Uint8Array(0))).bytes).toBe(0);
    expect((await stat(c)).size).toBe(0);
  });

  it('writes a 4 MiB buffer intact', async () => {
    const data = randomBytes(4 * 1024 * 1024);
    const path = join(root, 'big.bin');
    await writeFileAtomic(path, data);
    expect(sameBytes(new Uint8Array(await readFile(path)), data)).toBe(true);
  });
});

describe('writeFileAtomic: failures leave nothing behind', () => {
  it('a stream that fails midway leaves neither a target nor a temp file', async () => {
    const dir = join(root, 'd');
    async function* failing() {
      yield randomBytes(256 * 1024);
      yield randomBytes(256 * 1024);
      throw new Error('upstream broke');
    }
    const error = await rejection(writeFileAtomic(join(dir, 'out.mp3'), failing()));
    expect((error as Error).message).toBe('upstream broke');
    expect(await readdir(dir)).toEqual([]);
  });

  it('a stream that fails midway keeps the previous file intact', async () => {
    const path = join(root, 'keep.json');
    await writeFileAtomic(path, '{"v":1}');
    async function* failing() {
      yield '{"v":2,"partial":';
      throw new Error('disconnected');
    }
    await rejection(writeFileAtomic(path, failing()));
    expect(await readFile(path, 'utf8')).toBe('{"v":1}');
    expect(await readdir(root)).toEqual(['keep.json']);
  });

  it('a rename that fails (target is a non-empty directory) removes the written temp file', async () => {
    const target = join(root, 'taken');
    await mkdir(target);
    await writeFile(join(target, 'inside'), 'x');
    const error = await rejection(writeFileAtomic(target, randomBytes(1024)));
    expect((error as NodeJS.ErrnoException).code).toMatch(/^(EISDIR|ENOTEMPTY|EEXIST|EPERM)$/);
    expect(await readdir(root)).toEqual(['taken']);
    expect(await readdir(target)).toEqual(['inside']);
  });

  it('a parent that is a file fails before anything is created', async () => {
    await writeFile(join(root, 'file'), 'x');
    const error = await rejection(writeFileAtomic(join(root, 'file', 'sub', 'out.json'), '{}'));
    expect((error as NodeJS.ErrnoException).code).toMatch(/^(ENOTDIR|EEXIST)$/);
    expect(await readdir(root)).toEqual(['file']);
  });

  it('a chunk of the wrong type fails cleanly', async () => {
    const bad = [new Uint8Array([1]), 42 as unknown as Uint8Array];
    expect(await rejection(writeFileAtomic(join(root, 'bad.bin'), bad))).toBeInstanceOf(TypeError);
    expect(await readdir(root)).toEqual([]);
  });
});

describe('writeFileAtomic: concurrency', () => {
  it('concurrent writers to one path end with exactly one complete file and no temp files', async () => {
    const path = join(root, 'race', 'same.bin');
    const payloads = Array.from({ length: 16 }, (_, i) => {
      const data = randomBytes(128 * 1024 + i * 4099);
      data[0] = i;
      return data;
    });
    await Promise.all(payloads.map((data) => writeFileAtomic(path, data)));

    const final = new Uint8Array(await readFile(path));
    expect(sameBytes(final, payloads[final[0]])).toBe(true);
    expect(await readdir(join(root, 'race'))).toEqual(['same.bin']);
    expect(await modeOf(path)).toBe(0o600);
  });

  it('names temp files in the same directory with a recognisable suffix', async () => {
    const path = join(root, 'slow.bin');
    let seen: string[] = [];
    async function* slow() {
      yield new Uint8Array([1]);
      seen = await readdir(root);
      yield new Uint8Array([2]);
    }
    await writeFileAtomic(path, slow());
    expect(seen.length).toBe(1);
    expect(seen[0]).toMatch(/^\.slow\.bin\.[0-9a-f]{16}\.tmp$/);
    expect(seen[0].endsWith(TEMP_SUFFIX)).toBe(true);
    expect(await modeOf(path)).toBe(0o600);
  });
});
