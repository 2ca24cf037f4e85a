/**
 * Where a payload goes: the directory rule (DS-2.4), the file name (DS-2.2), the conflict suffix (DS-2.5),
 * and the last guard that the result lies inside the base folder, symlinks included.
 */
import { lstat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { type AtomicWarning, makeDirs } from './atomic.ts';
import { PathEscapeError, resolveInside, sanitizeSegment } from './sanitize.ts';

/** The identifiers a payload carries, raw (untrusted). */
export interface PayloadIds {
  webhookType: string;
  conversationId: string;
  agentId?: string | null;
  callerPhone?: string | null;
}

/** The extensions storage writes (FR-4.4). */
export type PayloadExt = 'json' | 'mp3';

/**
 * The raw id that names the directory (DS-2.4, the rule the requirements README picks over FR-4.3):
 * failure webhooks go under the agent id, transcription and audio under the caller phone, and the
 * conversation id is the fallback when that id is missing or blank.
 */
export function directoryId(ids: PayloadIds): string {
  const preferred = isFailure(ids.webhookType) ? ids.agentId : ids.callerPhone;
  return present(preferred) ? preferred! : ids.conversationId;
}

/** True for the failure webhook types (`call_initiation_failure` and any other `*failure*` type). */
export function isFailure(webhookType: string): boolean {
  return /failure/i.test(webhookType);
}

/** `{conversation_id}_{webhook_type}` with both parts sanitized, and an optional conflict suffix. */
export function fileName(ids: PayloadIds, ext: PayloadExt, suffix = ''): string {
  const conversation = sanitizeSegment(ids.conversationId, { maxBytes: 96 });
  const type = sanitizeSegment(ids.webhookType, { maxBytes: 48 });
  return `${conversation}_${type}${suffix}.${ext}`;
}

/** `_20260101T120000123Z` from a clock value: the conflict suffix (FR-4.6). */
export function conflictSuffix(nowMs: number, attempt: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:.]/g, '');
  return attempt === 0 ? `_${stamp}` : `_${stamp}_${attempt}`;
}

/**
 * Creates `dir` (relative to `base`) with `dirMode` when missing and proves it is a real folder inside
 * `base` once symlinks are resolved.
 * @throws PathEscapeError when it is not.
 */
export async function ensureInside(
  base: string,
  dir: string,
  dirMode: number,
  warnings: AtomicWarning[],
): Promise<string> {
  const target = resolveInside(base, dir);
  await makeDirs(target, dirMode, warnings);
  const info = await lstat(target);
  const [realBase, realTarget] = await Promise.all([realpath(resolve(base)), realpath(target)]);
  if (!info.isDirectory() || !isWithin(realBase, realTarget) || realBase === realTarget) {
    throw new PathEscapeError(realBase, realTarget);
  }
  return target;
}

/** True when `inner` is `outer` or lies under it (lexically, no symlinks resolved). */
export function isWithin(outer: string, inner: string): boolean {
  const rel = relative(resolve(outer), resolve(inner));
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** The sidecar of a payload file (DS-2.3). */
export function sidecarOf(path: string): string {
  return `${path}.metadata.json`;
}

/** The directory name as stored in the sidecar: the folder between base and file. */
export function directoryName(base: string, file: string): string {
  return relative(resolve(base), dirname(file));
}

function present(value: string | null | undefined): boolean {
  return typeof value === 'string' && value.trim() !== '';
}
