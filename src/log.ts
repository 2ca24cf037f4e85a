/**
 * pino JSON logs. Every line written while a request is being served carries its request id,
 * because the request runs inside `requestScope` and the logger's mixin reads it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Buffer } from 'node:buffer';
import pino, { type DestinationStream, type Logger } from 'pino';
import { completeTracingChannel } from './runtime.ts';

export type { Logger };

export interface RequestScope {
  requestId: string;
  /** Fields a handler adds to the request's access line (see `annotateRequest`). */
  fields?: Record<string, unknown>;
  /** Set once the access line is written: later fields would be lost. */
  logged?: boolean;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();

/**
 * Adds fields to the access line of the request being served: one line per request that says what
 * the handler decided, instead of a line of its own (each line costs a few microseconds). Returns
 * false outside a request scope (a plugin mounted in a host app without ours) or once the access
 * line is written (work that outlived its answer): log a line instead.
 */
export function annotateRequest(fields: Record<string, unknown>): boolean {
  const scope = requestScope.getStore();
  if (!scope || scope.logged) return false;
  scope.fields = scope.fields ? Object.assign(scope.fields, fields) : fields;
  return true;
}

/** The id of the request being served, if any. */
export function currentRequestId(): string | undefined {
  return requestScope.getStore()?.requestId;
}

/** Header names whose values never reach a log line. */
export const REDACTED_HEADERS = [
  'authorization',
  'x-api-key',
  'xi-api-key',
  'elevenlabs-signature',
  'cookie',
  'set-cookie',
];

/** Field names whose values never reach a log line, at the top level or one level down. */
export const REDACTED_KEYS = ['apiKey', 'api_key', 'secret', 'secrets', 'password', 'token', 'encryptionKey'];

const CENSOR = '[redacted]';

function hasAny(value: object, names: readonly string[]): boolean {
  for (const name of names) if (name in value) return true;
  return false;
}

function shallowCopy(value: object): Record<string, unknown> {
  return Object.assign(Array.isArray(value) ? [] : Object.create(Object.getPrototypeOf(value)), value);
}

/** `value` with REDACTED_KEYS and `headers[REDACTED_HEADERS]` censored; `headersToo` censors its own header names. */
function redactInner(value: unknown, headersToo = false): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const source = value as Record<string, unknown>;
  const headers = source.headers;
  const nested = typeof headers === 'object' && headers !== null && hasAny(headers, REDACTED_HEADERS);
  const direct = hasAny(source, REDACTED_KEYS) || (headersToo && hasAny(source, REDACTED_HEADERS));
  if (!nested && !direct) return value;
  const copy = shallowCopy(source);
  for (const key of REDACTED_KEYS) if (key in source) copy[key] = CENSOR;
  if (headersToo) for (const name of REDACTED_HEADERS) if (name in source) copy[name] = CENSOR;
  if (nested) {
    const censored = shallowCopy(headers as object);
    for (const name of REDACTED_HEADERS) if (name in (headers as object)) censored[name] = CENSOR;
    copy.headers = censored;
  }
  return copy;
}

/**
 * The fields of one log line (or a child's bindings) with secrets censored: REDACTED_KEYS at the top
 * level and one level down, REDACTED_HEADERS under `headers` at the top level and one level down.
 * Returns the same object when there is nothing to hide. This is what pino's `redact` option did
 * with the paths `k`, `*.k`, `headers["h"]`, `*.headers["h"]`; that option re-parsed every path on
 * every value of every line (a quarter of a client-data request's CPU in the benchmark's profile).
 * `err` is left to its serializer, which redacts after serializing.
 */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  let out = fields;
  for (const key in fields) {
    if (key === 'err' || !Object.hasOwn(fields, key)) continue;
    const value = fields[key];
    if (value === undefined) continue;
    const redacted = REDACTED_KEYS.includes(key) ? CENSOR : redactInner(value, key === 'headers');
    if (redacted === value) continue;
    if (out === fields) out = { ...fields };
    out[key] = redacted;
  }
  return out;
}

function serializeError(error: unknown): unknown {
  return redactInner(pino.stdSerializers.err(error as Error));
}

export interface LoggerOptions {
  level?: string;
  pretty?: boolean;
  /** Where lines go; stdout by default. Tests pass a collecting stream. */
  destination?: DestinationStream;
}

/**
 * Where lines go by default: `dest` (stdout) through pino's asynchronous SonicBoom, as pino's own
 * default, but holding bytes, and writing at most 4 KB at a time.
 * - Bytes: in its string mode, while a write is in flight SonicBoom appends each new line to its
 *   last pending chunk and measures that whole chunk's byte length again, which flattens and scans
 *   it for every line (10 % of a client-data request's server CPU under load). In its buffer mode
 *   it keeps the chunks' lengths; each line is encoded once here.
 * - 4 KB (PIPE_BUF): WORKERS=N processes share one stdout. A pipe takes a write of up to 4 KB whole
 *   or not at all; a larger one can be taken in part and interleaved with another process's, which
 *   tore thousands of lines in a test with four writers and a slow reader. (A single line longer
 *   than 4 KB, a long stack trace, is still one write and can still tear.)
 * `closeLog` writes them all out before an exit.
 */
const PIPE_BUF = 4096;

export function logDestination(dest: number | string = 1): DestinationStream {
  const stream = pino.destination({ dest, sync: false, contentMode: 'buffer', maxWrite: PIPE_BUF });
  const writeBytes = stream.write.bind(stream) as unknown as (data: Uint8Array) => boolean;
  stream.write = (line: string | Uint8Array) =>
    writeBytes(typeof line === 'string' ? Buffer.from(line) : line);
  return stream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  completeTracingChannel();
  const settings: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'elaoms', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: serializeError },
    formatters: { level: (label) => ({ level: label }), log: redactFields },
    mixin() {
      const scope = requestScope.getStore();
      return scope ? { request_id: scope.requestId } : {};
    },
  };
  if (options.destination) return redactingChildren(pino(settings, options.destination));
  if (options.pretty) {
    return redactingChildren(
      pino({
        ...settings,
        transport: { target: 'pino-pretty', options: { colorize: true, destination: 1 } },
      }),
    );
  }
  return redactingChildren(pino(settings, logDestination(process.stdout.fd || 1)));
}

/** pino skips `formatters.bindings` for children; children inherit this override from the root. */
function redactingChildren(logger: Logger): Logger {
  const child = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, options) {
    return child.call(this, redactFields(bindings), options);
  } as Logger['child'];
  return logger;
}

type LogStream = {
  end?: () => void;
  once?: (event: string, listener: () => void) => void;
  /** SonicBoom's own flag: a write is in flight (pino's `flush(cb)` does not wait for it). */
  _writing?: boolean;
};

function streamOf(logger: Logger): LogStream | undefined {
  return (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as LogStream | undefined;
}

/** Resolves when `stream` emits `event` (after `start` ran), or after `timeoutMs` whatever happens. */
function until(stream: LogStream, event: string, timeoutMs: number, start?: () => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    (timer as { unref?: () => void }).unref?.();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    stream.once!(event, done);
    try {
      start?.();
    } catch {
      done();
    }
  });
}

/**
 * Waits until the lines logged so far are written (at most `timeoutMs`), leaving the destination
 * open. The core's stop ends with it: a host that calls `process.exit()` right after `stop()` would
 * otherwise lose the last lines, because an asynchronous write still in flight at exit is dropped
 * and pino's exit hook (`flushSync`) skips it.
 */
export function drainLog(logger: Logger, timeoutMs = 1000): Promise<void> {
  const stream = streamOf(logger);
  if (stream?._writing !== true || typeof stream.once !== 'function') return Promise.resolve();
  return until(stream, 'drain', timeoutMs);
}

/**
 * Writes out every line logged so far and closes the destination, before the process exits.
 * pino's own exit hook (`flushSync`) skips a write still in flight, and `flush(cb)` does not wait
 * for it, so the last lines of a stop ("elaoms stopped") could be lost. `end()` waits for the write
 * in flight, writes the rest and fsyncs; bounded by `timeoutMs`. Nothing may log after it.
 */
export function closeLog(logger: Logger, timeoutMs = 1000): Promise<void> {
  const stream = streamOf(logger);
  if (typeof stream?.end !== 'function' || typeof stream.once !== 'function') return Promise.resolve();
  return until(stream, 'close', timeoutMs, () => stream.end!());
}

/** A destination that keeps parsed lines in memory, for tests and the CLI. */
export function memoryDestination(): DestinationStream & { lines: Array<Record<string, any>> } {
  const lines: Array<Record<string, any>> = [];
  return {
    lines,
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line.trim()) lines.push(JSON.parse(line));
    },
  };
}
