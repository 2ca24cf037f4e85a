import { describe, expect, it } from 'bun:test';
import { PayloadTooLargeError, readBodyLimited } from '../../plugins/hmac-auth/body.ts';

const KB = 1024;
const MB = 1024 * KB;

/** A pull-based body of `chunks` chunks of `chunkSize` bytes that records how far it was read. */
function countingSource(chunks: number, chunkSize: number) {
  const stats = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (stats.pulled === chunks) {
          controller.close();
          return;
        }
        stats.pulled++;
        controller.enqueue(new Uint8Array(chunkSize).fill(stats.pulled % 256));
      },
      cancel() {
        stats.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, stats };
}

function post(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request('http://localhost/webhooks/post-call', {
    method: 'POST',
    body,
    headers,
    duplex: 'half',
  } as RequestInit);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('readBodyLimited', () => {
  it('a 2 MB streamed body against a 1 MB limit is rejected and the reader stops early', async () => {
    const chunkSize = 16 * KB;
    const total = (2 * MB) / chunkSize; // 128 chunks
    const { stream, stats } = countingSource(total, chunkSize);
    const error = await rejection(readBodyLimited(post(stream), MB));
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as PayloadTooLargeError).status).toBe(413);
    expect((error as PayloadTooLargeError).limit).toBe(MB);
    // 1 MB is 64 chunks; the 65th crosses the limit. Allow one chunk of read-ahead by the runtime.
    expect(stats.pulled).toBeLessThanOrEqual(MB / chunkSize + 2);
    expect(stats.pulled).toBeLessThan(total);
    expect(stats.cancelled).toBe(true);
  });

  it('a declared content-length above the limit is refused before any chunk is pulled', async () => {
    const { stream, stats } = countingSource(128, 16 * KB);
    const error = await rejection(readBodyLimited(post(stream, { 'content-length': String(2 * MB) }), MB));
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as PayloadTooLargeError).received).toBe(2 * MB);
    expect(stats.pulled).toBe(0);
    expect(stats.cancelled).toBe(true);
  });

  it('a content-length that understates the body does not help: the stream is still counted', async () => {
    const { stream, stats } = countingSource(128, 16 * KB);
    const error = await rejection(readBodyLimited(post(stream, { 'content-length': '10' }), MB));
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(stats.pulled).toBeLessThan(128);
  });

  it('a non-numeric content-length is ignored in favour of counting', async () => {
    const { stream } = countingSource(4, KB);
    const body = await readBodyLimited(post(stream, { 'content-length': 'lots' }), MB);
    expect(body.byteLength).toBe(4 * KB);
  });

  it('a body of exactly the limit is accepted, one byte more is not', async () => {
    const exact = countingSource(64, 16 * KB);
    expect((await readBodyLimited(post(exact.stream), MB)).byteLength).toBe(MB);
    const over = new Uint8Array(MB + 1);
    expect(await rejection(readBodyLimited(post(over), MB))).toBeInstanceOf(PayloadTooLargeError);
  });

  it('returns the exact bytes, joined across chunks', async () => {
    const { stream } = countingSource(3, 5);
    expect([...(await readBodyLimited(post(stream), 100))]).toEqual([
      1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3,
    ]);
    const text = '{"type":"post_call_transcription","data":{"conversation_id":"é"}}';
    expect(await readBodyLimited(post(text), 1000)).toEqual(new TextEncoder().encode(text));
  });

  it('a request without a body gives an empty array', async () => {
    expect((await readBodyLimited(new Request('http://localhost/'), 10)).byteLength).toBe(0);
    expect((await readBodyLimited(post(''), 10)).byteLength).toBe(0);
  });

  it('a limit of zero accepts only an empty body', async () => {
    expect((await readBodyLimited(post(''), 0)).byteLength).toBe(0);
    expect(await rejection(readBodyLimited(post('x'), 0))).toBeInstanceOf(PayloadTooLargeError);
  });

  it('an invalid limit is a TypeError', async () => {
    for (const limit of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(await rejection(readBodyLimited(post('x'), limit))).toBeInstanceOf(TypeError);
    }
  });
});
