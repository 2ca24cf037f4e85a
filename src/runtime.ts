/**
 * Everything that differs between Bun and Deno lives here: serving, the client's socket
 * address, the environment and the SQLite handle. Plugins never test `globalThis.Deno`.
 */
import diagnostics from 'node:diagnostics_channel';
import { DatabaseSync } from 'node:sqlite';

declare const Deno: any;

export type RuntimeName = 'bun' | 'deno' | 'node';

export const runtimeName: RuntimeName =
  typeof (globalThis as any).Bun !== 'undefined'
    ? 'bun'
    : typeof (globalThis as any).Deno !== 'undefined'
      ? 'deno'
      : 'node';

/**
 * Gives `TracingChannel` the `hasSubscribers` getter Node and Deno have and Bun lacks. pino checks
 * it before every line (`asJsonChan.hasSubscribers === false`); on Bun it was undefined, so every
 * line went through `traceSync` with nobody listening: 5 % of a client-data request's CPU.
 * Same meaning as Node's: true when any of the five channels has a subscriber. Idempotent.
 */
export function completeTracingChannel(): void {
  const prototype = Object.getPrototypeOf(diagnostics.tracingChannel('elaoms')) as object;
  if ('hasSubscribers' in prototype) return;
  Object.defineProperty(prototype, 'hasSubscribers', {
    configurable: true,
    get(this: Record<string, { hasSubscribers: boolean }>) {
      return ['start', 'end', 'asyncStart', 'asyncEnd', 'error'].some((name) => this[name]?.hasSubscribers);
    },
  });
}

/** The process environment as a plain record (Deno needs --allow-env). */
export function readEnv(): Record<string, string | undefined> {
  return { ...process.env };
}

/** Opens a SQLite file with the one driver that behaves the same on Bun and Deno. */
export function openSqlite(path: string): DatabaseSync {
  return new DatabaseSync(path);
}

export type FetchHandler = (request: Request) => Response | Promise<Response>;

export interface ServeOptions {
  hostname: string;
  port: number;
  /** Lets several processes share one port (Bun's reusePort, Deno's reusePort). */
  reusePort?: boolean;
  /** Largest request body the server itself accepts; plugins enforce smaller limits. */
  maxRequestBodySize?: number;
}

export interface RunningServer {
  url: URL;
  port: number;
  /** Stops accepting connections and resolves when in-flight requests are done. */
  stop(): Promise<void>;
}

const peerAddress = new WeakMap<Request, string>();

/** Records the socket address of a request served by someone else's server (embedding). */
export function rememberPeer(request: Request, address: string): void {
  if (!peerAddress.has(request)) peerAddress.set(request, address);
}

/**
 * Records the peer address a host's Elysia server reports (`server.requestIP`, which Bun's
 * `.listen()` provides); a server without it (Deno.serve, `app.handle`) records nothing.
 */
export function rememberPeerFromServer(
  request: Request,
  server: { requestIP?(request: Request): { address?: string } | null } | null | undefined,
): void {
  const address = server?.requestIP?.(request)?.address;
  if (address) rememberPeer(request, address);
}

/** The address of the socket the request came from, as the runtime reports it. */
export function socketAddress(request: Request): string | undefined {
  return peerAddress.get(request);
}

/** Serves a fetch handler on Bun (`Bun.serve`) or Deno (`Deno.serve`). */
export function serve(handler: FetchHandler, options: ServeOptions): RunningServer {
  if (runtimeName === 'deno') return serveDeno(handler, options);
  return serveBun(handler, options);
}

function serveBun(handler: FetchHandler, options: ServeOptions): RunningServer {
  const Bun = (globalThis as any).Bun;
  const server = Bun.serve({
    hostname: options.hostname,
    port: options.port,
    reusePort: options.reusePort ?? false,
    maxRequestBodySize: options.maxRequestBodySize,
    fetch(request: Request, srv: any) {
      const ip = srv.requestIP(request);
      if (ip) peerAddress.set(request, ip.address);
      return handler(request);
    },
  });
  return {
    url: new URL(`http://${displayHost(options.hostname)}:${server.port}`),
    port: server.port,
    async stop() {
      await server.stop(false);
    },
  };
}

function serveDeno(handler: FetchHandler, options: ServeOptions): RunningServer {
  const server = Deno.serve(
    {
      hostname: options.hostname,
      port: options.port,
      reusePort: options.reusePort ?? false,
      onListen() {},
    },
    (request: Request, info: any) => {
      const addr = info?.remoteAddr;
      if (addr?.hostname) peerAddress.set(request, addr.hostname);
      return handler(request);
    },
  );
  return {
    url: new URL(`http://${displayHost(options.hostname)}:${server.addr.port}`),
    port: server.addr.port,
    async stop() {
      await server.shutdown();
    },
  };
}

/** The host part of a URL that reaches a server listening on `hostname` (a wildcard: 127.0.0.1). */
export function displayHost(hostname: string): string {
  if (hostname === '0.0.0.0' || hostname === '::') return '127.0.0.1';
  return hostname.includes(':') ? `[${hostname}]` : hostname;
}

/**
 * The command line that starts this entry point again with `args` (worker processes). Deno needs
 * its permissions and --unstable-net (for reusePort) spelled out; Bun and Node just rerun the script.
 */
export function selfCommand(args: string[]): string[] {
  const script = process.argv[1]!;
  if (runtimeName === 'deno') return [Deno.execPath(), 'run', '-A', '--unstable-net', script, ...args];
  return [process.execPath, script, ...args];
}

/** Registers handlers for SIGTERM and SIGINT. */
export function onShutdownSignal(handler: (signal: string) => void): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => handler(signal));
}
