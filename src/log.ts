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

/** Field names whose values never reach a log line, wherever they appear. */
export const REDACTED_KEYS = [
  'authorization',
  'x-api-key',
  'xi-api-key',
  'elevenlabs-signature',
  'cookie',
  'set-cookie',
  'apiKey',
  'api_key',
  'secret',
  'secrets',
  'password',
  'token',
  'encryptionKey',
  'encryptionKeys',
];

const redactPaths = REDACTED_KEYS.flatMap((k) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
  const dot = key.startsWith('[') ? '' : '.';
  return [key, `*${dot}${key}`, `*.*${dot}${key}`, `headers${dot}${key}`, `*.headers${dot}${key}`];
});

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
