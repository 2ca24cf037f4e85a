/**
 * pino JSON logs. Every line written while a request is being served carries its request id,
 * because the request runs inside `requestScope` and the logger's mixin reads it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export interface RequestScope {
  requestId: string;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();

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

// Only leading or trailing wildcards: pino's intermediate wildcards (`*.*.x`) cost a quarter of a
// request's CPU in the benchmark's profile.
const redactPaths = [
  ...REDACTED_HEADERS.flatMap((h) => [`headers["${h}"]`, `*.headers["${h}"]`]),
  ...REDACTED_KEYS.flatMap((k) => [k, `*.${k}`]),
];

export interface LoggerOptions {
  level?: string;
  pretty?: boolean;
  /** Where lines go; stdout by default. Tests pass a collecting stream. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'elaoms', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const scope = requestScope.getStore();
      return scope ? { request_id: scope.requestId } : {};
    },
  };
  if (options.destination) return pino(settings, options.destination);
  if (options.pretty) {
    return pino({
      ...settings,
      transport: { target: 'pino-pretty', options: { colorize: true, destination: 1 } },
    });
  }
  return pino(settings);
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
