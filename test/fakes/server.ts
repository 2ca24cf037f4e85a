/**
 * Plumbing shared by the fakes: a `node:http` server on 127.0.0.1 with a random free port (runs
 * unchanged under Bun and Deno), request recording, scripted faults and a prompt `close()` that
 * also destroys keep-alive sockets and cancels delay timers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type Fault, type FaultKind, FaultList } from './faults.ts';

export interface UploadedFile {
  filename: string;
  type: string;
  bytes: Uint8Array;
}

/** A multipart body: text fields as strings, file parts as `UploadedFile`. */
export type FormBody = Record<string, string | UploadedFile>;

export interface RecordedRequest {
  method: string;
  /** Path without the query string, percent-decoding left to the routes. */
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Parsed JSON, a `FormBody` for multipart, the text otherwise, `undefined` when empty. */
  body: unknown;
  raw: Uint8Array;
  /** Set when a scripted fault answered (or delayed) this request. */
  fault?: FaultKind;
  at: number;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: RecordedRequest) => Reply | Promise<Reply>;

export interface FakeServer {
  url: string;
  port: number;
  faults: FaultList;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface ServerOptions {
  handle: Handler;
  /** The upstream's own error body for a status fault without an explicit body. */
  errorBody: (status: number) => unknown;
  /** Headers added to every answer (e.g. a request id). */
  extraHeaders?: () => Record<string, string>;
}

export async function startFakeServer(options: ServerOptions): Promise<FakeServer> {
  const faults = new FaultList();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let closed = false;

  function track(socket: Socket): void {
    if (sockets.has(socket)) return;
    sockets.add(socket);
    socket.on('close', function untrack() {
      sockets.delete(socket);
    });
  }

  function sleep(ms: number): Promise<void> {
    return new Promise(function wait(resolve) {
      const timer = setTimeout(function fire() {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    track(req.socket);
    const recorded = await record(req);
    requests.push(recorded);
    const fault = faults.take(recorded.method, recorded.path);
    if (fault) recorded.fault = fault.kind;
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'delay') {
      await sleep(fault.ms);
      if (closed) return;
    }
    const reply =
      fault?.kind === 'status' ? faultReply(fault, options.errorBody) : await safeHandle(recorded);
    send(res, reply, options.extraHeaders?.() ?? {});
  }

  async function safeHandle(recorded: RecordedRequest): Promise<Reply> {
    try {
      return await options.handle(recorded);
    } catch (error) {
      return { status: 500, body: { fake_error: String(error) } };
    }
  }

  const server = createServer(function handleRequest(req, res) {
    onRequest(req, res).catch(function crash(error: unknown) {
      if (!res.headersSent) send(res, { status: 500, body: { fake_error: String(error) } }, {});
    });
  });
  server.on('connection', track);
  const port = await listen(server);

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    const done = new Promise<void>(function waitClosed(resolve) {
      server.close(function closedServer() {
        resolve();
      });
    });
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    await done;
  }

  return { url: `http://127.0.0.1:${port}`, port, faults, requests, close };
}

function listen(server: Server): Promise<number> {
  return new Promise(function waitListening(resolve, reject) {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', function listening() {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no port'));
      else resolve(address.port);
    });
  });
}

function faultReply(
  fault: Extract<Fault, { kind: 'status' }>,
  errorBody: (status: number) => unknown,
): Reply {
  return {
    status: fault.status,
    headers: fault.headers,
    body: fault.body === undefined ? errorBody(fault.status) : fault.body,
  };
}

function send(res: ServerResponse, reply: Reply, extra: Record<string, string>): void {
  const headers: Record<string, string> = { ...extra };
  let payload: string | Uint8Array = '';
  if (reply.body instanceof Uint8Array) {
    headers['content-type'] = 'application/octet-stream';
    payload = reply.body;
  } else if (typeof reply.body === 'string') {
    headers['content-type'] = 'text/plain; charset=utf-8';
    payload = reply.body;
  } else if (reply.body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(reply.body);
  }
  Object.assign(headers, reply.headers);
  headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(payload);
}

async function record(req: IncomingMessage): Promise<RecordedRequest> {
  const raw = await readBody(req);
  const url = new URL(req.url ?? '/', 'http://fake.local');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    query: url.searchParams,
    headers,
    body: await parseBody(raw, headers['content-type'] ?? ''),
    raw,
    at: Date.now(),
  };
}

function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise(function collect(resolve, reject) {
    const chunks: Buffer[] = [];
    req.on('data', function onData(chunk: Buffer) {
      chunks.push(chunk);
    });
    req.on('end', function onEnd() {
      resolve(new Uint8Array(Buffer.concat(chunks)));
    });
    req.on('error', reject);
  });
}

async function parseBody(raw: Uint8Array, contentType: string): Promise<unknown> {
  if (raw.byteLength === 0) return undefined;
  if (contentType.startsWith('multipart/form-data')) return parseMultipart(raw, contentType);
  const text = new TextDecoder().decode(raw);
  if (contentType.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

async function parseMultipart(raw: Uint8Array, contentType: string): Promise<FormBody> {
  const form = await new Response(new Blob([raw as Uint8Array<ArrayBuffer>]), {
    headers: { 'content-type': contentType },
  }).formData();
  const body: FormBody = {};
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') body[name] = value;
    else {
      const file = value as File;
      body[name] = { filename: file.name, type: file.type, bytes: new Uint8Array(await file.arrayBuffer()) };
    }
  }
  return body;
}

export function isUploadedFile(value: unknown): value is UploadedFile {
  return typeof value === 'object' && value !== null && 'bytes' in value && 'filename' in value;
}

/** JSON object body or `{}` (routes then validate the fields they need). */
export function jsonObject(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

/** Match `pattern` like `/v1/convai/agents/:id` against `path`; returns decoded params or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) {
      if (got[i] === '') return null;
      params[want[i].slice(1)] = safeDecode(got[i]);
    } else if (want[i] !== got[i]) return null;
  }
  return params;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
