/**
 * Atomic file writes on `node:fs/promises` (Bun and Deno): readers see the old file or the whole new
 * one, never a partial file, and a failed write leaves no temp file behind.
 */

import { chmod, type FileHandle, link, lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** Default file mode (SEC-4.1). */
export const DEFAULT_FILE_MODE = 0o600;
/** Default mode for directories this function creates (SEC-4.2). */
export const DEFAULT_DIR_MODE = 0o700;
/** Temp files are named `.<target name>.<random hex>.tmp`; a sweeper may delete stale ones. */
export const TEMP_SUFFIX = '.tmp';
/** Exactly the names {@link writeFileAtomic} gives its temp files (16 hex digits), and nothing else. */
export const TEMP_NAME = /^\..*\.[0-9a-f]{16}\.tmp$/s;

/** Errors from link() that mean "this filesystem has no hard links" (FAT, some network shares). */
const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** Errors from fsync on a directory that mean "this platform or filesystem does not do that". */
const FSYNC_DIR_UNSUPPORTED = new Set([
  'EINVAL',
  'EISDIR',
  'EPERM',
  'EACCES',
  'ENOTSUP',
  'EOPNOTSUPP',
  'EBADF',
  'ENOSYS',
]);

/** What to write: bytes, text (UTF-8), or chunks from a stream. */
export type AtomicData =
  | Uint8Array
  | string
  | Iterable<Uint8Array | string>
  | AsyncIterable<Uint8Array | string>;

/** Options for {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Mode of the written file, set exactly (not masked by the umask). Default 0o600. */
  mode?: number;
  /** Mode of every directory created on the way. Existing directories are left alone. Default 0o700. */
  dirMode?: number;
  /**
   * Never replace an existing target: the name is claimed with link() (which fails with EEXIST when
   * taken, even if another process claims it in the same instant), then the source name is removed.
   * The error has `code: 'EEXIST'` and nothing was changed. Default false (rename over the target).
   */
  exclusive?: boolean;
}

/** A problem that did not stop the write (SEC-4.4: log a warning and continue). */
export interface AtomicWarning {
  op: 'chmod-file' | 'chmod-dir' | 'fsync-dir';
  path: string;
  error: unknown;
}

/** Outcome of a successful {@link writeFileAtomic}. */
export interface AtomicWriteResult {
  /** Absolute path of the written file. */
  path: string;
  /** Number of bytes written. */
  bytes: number;
  /** Permission or directory-fsync problems; the data itself is in place. */
  warnings: AtomicWarning[];
}

/**
 * Writes `data` to `path` atomically: creates missing parent directories with `dirMode`, writes a temp
 * file in the same directory (opened with `wx` and `mode`), fsyncs it, renames it over the target (or,
 * with `exclusive`, links it to the target name only if that is free) and fsyncs the directory where
 * the platform allows. On any failure the temp file is removed and the error
 * is thrown; the previous target, if any, is untouched. chmod and directory-fsync problems are returned
 * as warnings instead of thrown.
 */
export async function writeFileAtomic(
  path: string,
  data: AtomicData,
  options: AtomicWriteOptions = {},
): Promise<AtomicWriteResult> {
  const mode = options.mode ?? DEFAULT_FILE_MODE;
  const dirMode = options.dirMode ?? DEFAULT_DIR_MODE;
  const target = resolve(path);
  const dir = dirname(target);
  const warnings: AtomicWarning[] = [];

  await makeDirs(dir, dirMode, warnings);

  const temp = join(dir, tempName(basename(target)));
  let handle: FileHandle | undefined;
  let created = false;
  let bytes = 0;
  try {
    handle = await open(temp, 'wx', mode);
    created = true;
    try {
      await handle.chmod(mode);
    } catch (error) {
      warnings.push({ op: 'chmod-file', path: target, error });
    }
    bytes = await writeAll(handle, data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await place(temp, target, options.exclusive === true);
    created = false;
  } catch (error) {
    await handle?.close().catch(() => {});
    if (created) await unlink(temp).catch(() => {});
    throw error;
  }

  await syncDir(dir, warnings);
  return { path: target, bytes, warnings };
}

/**
 * Moves the file `from` to `to` by one rename, or link + unlink with `exclusive` (atomic; same
 * filesystem only, EXDEV otherwise),
 * creating missing parent directories with `dirMode`, then fsyncs the target directory. For bytes
 * already written and fsynced elsewhere, this is a write without writing them again.
 */
export async function moveFileAtomic(
  from: string,
  to: string,
  options: AtomicWriteOptions = {},
): Promise<{ path: string; warnings: AtomicWarning[] }> {
  const target = resolve(to);
  const dir = dirname(target);
  const warnings: AtomicWarning[] = [];
  await makeDirs(dir, options.dirMode ?? DEFAULT_DIR_MODE, warnings);
  await place(from, target, options.exclusive === true);
  await syncDir(dir, warnings);
  return { path: target, warnings };
}

/**
 * Gives the file `from` the name `target`: one rename, or with `exclusive` a link() that fails with
 * EEXIST when the name is taken, then an unlink of `from`. If that unlink fails the file has both
 * names; a leftover temp name is removed by the retention sweeper. On filesystems without hard links
 * the exclusive form checks, then renames (a check-then-act race remains only there).
 */
async function place(from: string, target: string, exclusive: boolean): Promise<void> {
  if (!exclusive) return rename(from, target);
  try {
    await link(from, target);
  } catch (error) {
    if (!LINK_UNSUPPORTED.has(String((error as { code?: unknown }).code))) throw error;
    if (await lstat(target).then(() => true, missingOrThrow)) throw taken(target);
    return rename(from, target);
  }
  await unlink(from).catch(() => {});
}

function missingOrThrow(error: unknown): false {
  if ((error as { code?: unknown }).code === 'ENOENT') return false;
  throw error;
}

function taken(path: string): Error {
  return Object.assign(new Error(`EEXIST: file already exists, ${path}`), { code: 'EEXIST', path });
}

/**
 * Creates `dir` and its missing parents, setting `dirMode` exactly (not masked by the umask) on each
 * level it created; chmod problems go to `warnings`. Existing directories are left alone.
 */
export async function makeDirs(path: string, dirMode: number, warnings: AtomicWarning[]): Promise<void> {
  // Absolute, so `first` compares with it: for a relative path Deno returns the first folder
  // created as an absolute path, Bun and Node as given.
  const dir = resolve(path);
  const made = await mkdir(dir, { recursive: true, mode: dirMode });
  if (made === undefined) return;
  const first = resolve(made);
  // mkdir's mode is masked by the umask; set it exactly on each level we created.
  const created: string[] = [];
  for (let d = dir; d.length >= first.length; d = dirname(d)) {
    created.push(d);
    if (d === first || d === dirname(d)) break;
  }
  for (const d of created.reverse()) {
    try {
      await chmod(d, dirMode);
    } catch (error) {
      warnings.push({ op: 'chmod-dir', path: d, error });
    }
  }
}

async function writeAll(handle: FileHandle, data: AtomicData): Promise<number> {
  if (typeof data === 'string' || data instanceof Uint8Array) return writeChunk(handle, data);
  let total = 0;
  for await (const chunk of data as AsyncIterable<Uint8Array | string>)
    total += await writeChunk(handle, chunk);
  return total;
}

async function writeChunk(handle: FileHandle, chunk: Uint8Array | string): Promise<number> {
  if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) {
    throw new TypeError(`writeFileAtomic: chunks must be Uint8Array or string, got ${typeof chunk}`);
  }
  const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    offset += bytesWritten;
  }
  return bytes.length;
}

async function syncDir(dir: string, warnings: AtomicWarning[]): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !FSYNC_DIR_UNSUPPORTED.has(code)) {
      warnings.push({ op: 'fsync-dir', path: dir, error });
    }
  } finally {
    await handle?.close().catch(() => {});
  }
}

function tempName(name: string): string {
  const prefix = Array.from(name).slice(0, 48).join('');
  const random = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) =>
    b.toString(16).padStart(2, '0'),
  );
  return `.${prefix}.${random.join('')}${TEMP_SUFFIX}`;
}
