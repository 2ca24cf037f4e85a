/**
 * The signed-webhook check behind the `elevenlabsSignature` macro: screen the header and its time
 * window without touching the body, read the raw body within its limit (from a clone, so the request
 * stays readable; a post-call's limit narrows to its type's as soon as the leading `"type"` is read),
 * hand it to the quarantine hook, verify the signature on the bytes, and only then parse the JSON
 * and apply the per-type limit to bodies that did not name their type first.
 * Runtime-agnostic: clock, logger, events and metrics are injected.
 */
import { Counter, type Registry } from 'prom-client';
import type { Clock } from '../../src/clock.ts';
import type { EventBus } from '../../src/events.ts';
import { HttpError } from '../../src/http/errors.ts';
import { requestIdOf } from '../../src/http/request-context.ts';
import { currentRequestId, type Logger } from '../../src/log.ts';
import { metric } from '../../src/metrics.ts';
import { declaredOver, PayloadTooLargeError, readBodyLimited } from './body.ts';
import type { HmacAuthConfig } from './config.ts';
import type { LimitKind, Outcome, QuarantineHook, SignedWebhook } from './types.ts';
import { createVerifier, type Rejected, type Verifier } from './verify.ts';

/** The header ElevenLabs signs with (lower-cased as the Fetch API exposes it). */
export const SIGNATURE_HEADER = 'elevenlabs-signature';

/** The setting named by the 503 when no secret is configured. */
export const SECRET_SETTING = 'ELEVENLABS_WEBHOOK_SECRET';

/** Dependencies of {@link createHmacAuthService}. */
export interface HmacAuthDeps {
  config: HmacAuthConfig;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  metrics: Registry;
  clientIp(request: Request): string;
}

/** The result of {@link HmacAuthService.check}: the signed webhook or the error to answer with. */
export type CheckResult = { ok: true; signed: SignedWebhook } | { ok: false; error: HttpError };

/** The hmac-auth service. */
export interface HmacAuthService {
  /** Whether at least one secret is configured (none: signed routes answer 503). */
  readonly configured: boolean;
  /** Plugs in the quarantine (SEC-6); the last hook set wins, null removes it. */
  useQuarantine(hook: QuarantineHook | null): void;
  /** The limit enforced while reading a body of this kind, in bytes. */
  readLimit(kind: LimitKind): number;
  /** Reads, verifies and parses one request's body. Never throws for anything the client sent. */
  check(request: Request, kind: LimitKind): Promise<CheckResult>;
}

const TYPE_LIMITS: Record<string, Exclude<LimitKind, 'post-call'>> = {
  post_call_transcription: 'transcription',
  post_call_audio: 'audio',
  call_initiation_failure: 'failure',
};

/** `{"type":"post_call_audio"`: ElevenLabs puts the type first, so its limit applies while reading. */
const LEADING_TYPE = /^\s*\{\s*"type"\s*:\s*"([a-z_]{1,64})"/;
const latin1 = new TextDecoder('latin1');

/** Seconds to the millisecond, for log lines. */
const milliRounded = (seconds: number) => Math.round(seconds * 1000) / 1000;

const tooLarge = () => new HttpError(413, 'Payload too large');

function signatureMetrics(registry: Registry) {
  return metric(
    registry,
    'hmac-auth',
    () =>
      new Counter({
        name: 'elaoms_webhook_signature_checks_total',
        help: 'Webhook signature checks by result (valid, missing, format, too_old, too_new, mismatch)',
        labelNames: ['result'],
        registers: [registry],
      }),
  );
}

/** Builds the service. A bad secret list (blank entry, stray whitespace) throws, naming the setting. */
export function createHmacAuthService(deps: HmacAuthDeps): HmacAuthService {
  const { config, clock, logger, events } = deps;
  const checks = signatureMetrics(deps.metrics);
  const limits: Record<Exclude<LimitKind, 'post-call'>, number> = {
    default: config.maxPayloadSize,
    transcription: config.maxTranscriptionPayloadSize,
    audio: config.maxAudioPayloadSize,
    failure: config.maxFailurePayloadSize,
  };
  const largest = Math.max(...Object.values(limits));
  let verifier: Verifier | null = null;
  if (config.secrets.length) {
    try {
      verifier = createVerifier({
        secrets: config.secrets,
        toleranceSeconds: config.toleranceSeconds,
        futureToleranceSeconds: config.futureToleranceSeconds,
      });
    } catch (error) {
      throw new TypeError(`${SECRET_SETTING}: ${(error as Error).message.replace(/^hmac-auth: /, '')}`);
    }
  }
  let quarantine: QuarantineHook | null = null;

  function readLimit(kind: LimitKind): number {
    return kind === 'post-call' ? largest : limits[kind];
  }

  function quarantineFailed(ip: string, requestId: string, step: string, error: unknown) {
    logger.error({ err: { message: (error as Error)?.message }, step }, 'quarantine failed');
    events.emit('quarantine.failure', { ip, reason: `${step}: ${(error as Error)?.message}`, requestId });
  }

  async function hold(raw: Uint8Array, request: Request, ip: string, requestId: string) {
    if (!quarantine) return null;
    try {
      return await quarantine.hold(raw, {
        requestId,
        clientIp: ip,
        receivedAt: clock.now(),
        path: new URL(request.url).pathname,
      });
    } catch (error) {
      quarantineFailed(ip, requestId, 'hold', error);
      return null;
    }
  }

  async function release(id: string | null, outcome: Outcome, ip: string, requestId: string) {
    if (!id || !quarantine) return;
    try {
      await quarantine.release(id, { accepted: outcome === 'accepted', outcome });
    } catch (error) {
      quarantineFailed(ip, requestId, 'release', error);
    }
  }

  /** For a post-call, the limit of the type named at the very start of the body (`{"type":"…"`). */
  function limitOfHead(head: Uint8Array): number | undefined {
    const type = LEADING_TYPE.exec(latin1.decode(head))?.[1];
    return type && TYPE_LIMITS[type] ? limits[TYPE_LIMITS[type]] : undefined;
  }

  function rejected(verdict: Rejected, fields: Record<string, unknown>, ip: string, requestId: string) {
    checks.inc({ result: verdict.reason });
    const age = verdict.ageSeconds === undefined ? undefined : milliRounded(verdict.ageSeconds);
    logger.warn({ ...fields, timestamp_age_s: age, result: verdict.reason }, 'webhook signature rejected');
    events.emit('auth.failure', { ip, kind: 'signature', reason: verdict.reason, requestId });
    return { ok: false as const, error: new HttpError(401, verdict.detail) };
  }

  async function check(request: Request, kind: LimitKind): Promise<CheckResult> {
    if (!verifier) return { ok: false, error: new HttpError(503, `${SECRET_SETTING} is not configured`) };
    const ip = deps.clientIp(request);
    const requestId = currentRequestId() ?? requestIdOf(request);
    const scope = currentRequestId() ? {} : { request_id: requestId };
    const overLimit = () => {
      request.body?.cancel().catch(() => {});
      return { ok: false as const, error: tooLarge() };
    };
    const limit = readLimit(kind);
    if (declaredOver(request, limit) !== null) {
      logger.warn({ ...scope, client_ip: ip, limit }, 'webhook body over its size limit');
      return overLimit();
    }
    const header = request.headers.get(SIGNATURE_HEADER);
    // The header and time window are checked before a byte of the body is read: an anonymous client
    // sending unsigned or stale requests costs neither the read nor a quarantine file.
    const screened = verifier.screen(header, clock.now());
    if (screened) {
      request.body?.cancel().catch(() => {});
      return rejected(screened, { ...scope, client_ip: ip }, ip, requestId);
    }
    let raw: Uint8Array;
    try {
      const narrow = kind === 'post-call' ? { narrow: limitOfHead } : {};
      raw = await readBodyLimited(request.clone(), limit, narrow);
    } catch (error) {
      if (!(error instanceof PayloadTooLargeError)) throw error;
      logger.warn({ ...scope, client_ip: ip, limit: error.limit }, 'webhook body over its size limit');
      return overLimit();
    }
    const quarantineId = await hold(raw, request, ip, requestId);
    const verdict = await verifier(header, raw, clock.now());
    const fields = { ...scope, client_ip: ip, bytes: raw.byteLength };
    if (!verdict.ok) {
      const answer = rejected(verdict, fields, ip, requestId);
      await release(quarantineId, verdict.reason, ip, requestId);
      return answer;
    }
    checks.inc({ result: 'valid' });
    const age = milliRounded(verdict.ageSeconds);
    logger.info(
      { ...fields, timestamp_age_s: age, result: 'valid', secret_index: verdict.secretIndex },
      'webhook signature valid',
    );
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
    } catch {
      await release(quarantineId, 'invalid_json', ip, requestId);
      return { ok: false, error: new HttpError(400, 'Invalid JSON payload') };
    }
    if (kind === 'post-call') {
      const type = (json as { type?: unknown } | null)?.type;
      const typeLimit = limits[(typeof type === 'string' && TYPE_LIMITS[type]) || 'default'];
      if (raw.byteLength > typeLimit) {
        logger.warn(
          { ...scope, client_ip: ip, limit: typeLimit, type },
          'webhook body over the limit of its type',
        );
        await release(quarantineId, 'too_large', ip, requestId);
        return { ok: false, error: tooLarge() };
      }
    }
    await release(quarantineId, 'accepted', ip, requestId);
    const signed = { raw, json, timestamp: verdict.timestamp, ageSeconds: verdict.ageSeconds, quarantineId };
    return { ok: true, signed };
  }

  return {
    get configured() {
      return verifier !== null;
    },
    useQuarantine(hook) {
      quarantine = hook;
    },
    readLimit,
    check,
  };
}
