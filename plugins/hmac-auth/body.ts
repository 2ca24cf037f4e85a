/**
 * Reads a request body into memory with a hard byte limit enforced while streaming, so an
 * oversized body is never held whole. Runtime-agnostic (WHATWG streams only).
 */

/** Thrown when a body is larger than allowed. Maps to HTTP 413. */
export class PayloadTooLargeError extends Error {
  /** HTTP status to answer with. */
  readonly status = 413;
  /** The limit that was exceeded, in bytes. */
  readonly limit: number;
  /** Bytes declared (content-length) or read so far when the limit was crossed. */
  readonly received: number;

  constructor(limit: number, received: number) {
    super(`Payload too large: more than ${limit} bytes`);
    this.name = 'PayloadTooLargeError';
    this.limit = limit;
    this.received = received;
  }
}

const DIGITS = /^[0-9]+$/;

/** How many leading bytes {@link ReadOptions.narrow} is shown (or the whole body, if shorter). */
export const HEAD_BYTES = 512;

/** Options of {@link readBodyLimited}. */
export interface ReadOptions {
  /**
   * Called once with the first {@link HEAD_BYTES} bytes; a number it returns lowers the limit for
   * the rest of the read (e.g. the limit of the event type named at the start of the body).
   */
  narrow?(head: Uint8Array): number | undefined;
}

/** The declared `content-length` when it is a plain number above `maxBytes`, else null. */
export function declaredOver(request: Request, maxBytes: number): number | null {
  const declared = request.headers.get('content-length')?.trim();
  return declared && DIGITS.test(declared) && Number(declared) > maxBytes ? Number(declared) : null;
}

/**
 * Cancels without waiting: the cancel of one branch of a tee'd body (`request.clone()`) only settles
 * once every branch is cancelled, so awaiting it here could hang until the caller cancels the others.
 */
function cancelQuietly(cancel: () => Promise<void>): void {
  try {
    cancel().catch(() => {});
  } catch {
    // The stream may already be errored or closed; there is nothing left to release.
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Reads `request`'s body as bytes, at most `maxBytes` of them.
 *
 * A numeric `content-length` above the limit is refused before anything is read. Otherwise the
 * stream is read chunk by chunk and cancelled as soon as the running total exceeds the limit, so
 * at most `maxBytes` plus one chunk is ever buffered. A lying or absent `content-length` is
 * therefore harmless. A request without a body gives an empty array.
 *
 * @throws {PayloadTooLargeError} when the body is larger than `maxBytes`.
 * @throws {TypeError} when `maxBytes` is not a non-negative integer, or the body was already read.
 */
export async function readBodyLimited(
  request: Request,
  maxBytes: number,
  options: ReadOptions = {},
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new TypeError(`readBodyLimited: maxBytes must be a non-negative integer, got ${String(maxBytes)}`);
  }
  const body = request.body;
  const declared = declaredOver(request, maxBytes);
  if (declared !== null) {
    if (body) cancelQuietly(() => body.cancel());
    throw new PayloadTooLargeError(maxBytes, declared);
  }
  if (!body) return new Uint8Array(0);

  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let limit = maxBytes;
  let narrow = options.narrow;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    chunks.push(value);
    if (narrow && total >= HEAD_BYTES) {
      limit = Math.min(limit, narrow(concat(chunks, total).subarray(0, HEAD_BYTES)) ?? limit);
      narrow = undefined;
    }
    if (total > limit) {
      cancelQuietly(() => reader.cancel());
      throw new PayloadTooLargeError(limit, total);
    }
  }
  return concat(chunks, total);
}
