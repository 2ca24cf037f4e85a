/**
 * Differential test of our verifier against the official SDK (`@elevenlabs/elevenlabs-js` 2.73.0).
 * Where the rules are the same, the outcomes must be equal; every deliberate difference is asserted
 * on its own and listed in docs/security.md ("Signature verification: where we differ from the
 * official SDK"). The SDK reads the real clock, so timestamps stay at least 10 s from any edge.
 */
import { describe, expect, it } from 'bun:test';
import fc from 'fast-check';
import { toHex } from '../../plugins/hmac-auth/hmac.ts';
import { createVerifier, sign, type Verdict } from '../../plugins/hmac-auth/verify.ts';
import { type Outcome, sdkOutcome } from './sdk.ts';
import { VECTOR } from './vector.ts';

const SECRET = 'wsec_differential_secret_0123';
const OTHER = 'wsec_some_other_secret_45678';
const BODY = '{"type":"post_call_transcription","event_timestamp":1,"data":{"conversation_id":"c1"}}';
const encoder = new TextEncoder();

const verify = createVerifier({ secrets: [SECRET] });

function outcome(verdict: Verdict): Outcome {
  return verdict.ok ? 'ok' : verdict.reason;
}

function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}

async function signed(secret: string, body: string, t: number | string): Promise<string> {
  return sign(secret, encoder.encode(body), Number(t));
}

async function digest(secret: string, body: string, t: number): Promise<string> {
  const header = await signed(secret, body, t);
  return header.slice(header.indexOf('v0=') + 3);
}

/** HMAC over an arbitrary timestamp text (the SDK signs whatever follows `t=`). */
async function digestOverText(secret: string, body: string, timestampText: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return toHex(
    new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`${timestampText}.${body}`))),
  );
}

/** Both outcomes for one request, each side using one secret. */
async function both(
  header: string | null,
  body: string,
  secret = SECRET,
): Promise<{ ours: Outcome; sdk: Outcome }> {
  const ours = outcome(await createVerifier({ secrets: [secret] })(header, encoder.encode(body), Date.now()));
  const sdk = await sdkOutcome(body, header, secret);
  return { ours, sdk };
}

interface Case {
  name: string;
  /** Builds the request at the current time. */
  make: (now: number) => Promise<{ header: string | null; body: string; secret?: string }>;
  expected: Outcome;
}

const SAME: Case[] = [
  {
    name: 'valid, fresh',
    expected: 'ok',
    make: async (n) => ({ header: await signed(SECRET, BODY, n - 5), body: BODY }),
  },
  {
    name: 'valid, 29 min 50 s old',
    expected: 'ok',
    make: async (n) => ({ header: await signed(SECRET, BODY, n - 1790), body: BODY }),
  },
  {
    name: 'valid, 2 min in the future (inside our future bound)',
    expected: 'ok',
    make: async (n) => ({ header: await signed(SECRET, BODY, n + 120), body: BODY }),
  },
  {
    name: 'stale, 30 min 10 s old',
    expected: 'too_old',
    make: async (n) => ({ header: await signed(SECRET, BODY, n - 1810), body: BODY }),
  },
  {
    name: 'stale, one day old',
    expected: 'too_old',
    make: async (n) => ({ header: await signed(SECRET, BODY, n - 86400), body: BODY }),
  },
  {
    name: 'stale and wrong secret (time is checked before the HMAC)',
    expected: 'too_old',
    make: async (n) => ({ header: await signed(OTHER, BODY, n - 7200), body: BODY }),
  },
  {
    name: 'the §1.3 vector, now long stale',
    expected: 'too_old',
    make: async () => ({ header: VECTOR.header, body: VECTOR.body, secret: VECTOR.secret }),
  },
  {
    name: 'one byte of the body changed',
    expected: 'mismatch',
    make: async (n) => ({ header: await signed(SECRET, BODY, n), body: BODY.replace('"c1"', '"c2"') }),
  },
  {
    name: 'trailing newline added to the body',
    expected: 'mismatch',
    make: async (n) => ({ header: await signed(SECRET, BODY, n), body: `${BODY}\n` }),
  },
  {
    name: 'wrong secret',
    expected: 'mismatch',
    make: async (n) => ({ header: await signed(OTHER, BODY, n), body: BODY }),
  },
  {
    name: 'timestamp changed after signing',
    expected: 'mismatch',
    make: async (n) => ({ header: `t=${n - 1},v0=${await digest(SECRET, BODY, n)}`, body: BODY }),
  },
  {
    name: 'well-formed but wrong digest',
    expected: 'mismatch',
    make: async (n) => ({ header: `t=${n},v0=${'0f'.repeat(32)}`, body: BODY }),
  },
  {
    name: 'two v0, the first one valid',
    expected: 'ok',
    make: async (n) => ({
      header: `t=${n},v0=${await digest(SECRET, BODY, n)},v0=${'ab'.repeat(32)}`,
      body: BODY,
    }),
  },
  {
    name: 'v0 before t',
    expected: 'ok',
    make: async (n) => ({ header: `v0=${await digest(SECRET, BODY, n)},t=${n}`, body: BODY }),
  },
  {
    name: 'unknown scheme next to a valid v0',
    expected: 'ok',
    make: async (n) => ({
      header: `t=${n},v1=${'cd'.repeat(32)},v0=${await digest(SECRET, BODY, n)}`,
      body: BODY,
    }),
  },
  {
    name: 'only an unknown scheme',
    expected: 'format',
    make: async (n) => ({ header: `t=${n},v1=${await digest(SECRET, BODY, n)}`, body: BODY }),
  },
  { name: 'garbage', expected: 'format', make: async () => ({ header: 'hello world', body: BODY }) },
  { name: 'only t', expected: 'format', make: async (n) => ({ header: `t=${n}`, body: BODY }) },
  {
    name: 'only v0',
    expected: 'format',
    make: async (n) => ({ header: `v0=${await digest(SECRET, BODY, n)}`, body: BODY }),
  },
  {
    name: 'empty t',
    expected: 'format',
    make: async (n) => ({ header: `t=,v0=${await digest(SECRET, BODY, n)}`, body: BODY }),
  },
  { name: 'empty header', expected: 'missing', make: async () => ({ header: '', body: BODY }) },
  { name: 'missing header', expected: 'missing', make: async () => ({ header: null, body: BODY }) },
  {
    name: 'non-ASCII UTF-8 body',
    expected: 'ok',
    make: async (n) => {
      const body = '{"data":{"transcript":[{"message":"Grüße, 你好 👋"}]}}';
      return { header: await signed(SECRET, body, n), body };
    },
  },
  {
    name: 'empty body (SDK JSON.parse fails after the signature passed)',
    expected: 'ok',
    make: async (n) => ({ header: await signed(SECRET, '', n), body: '' }),
  },
];

describe('same rules, same outcome as the SDK', () => {
  for (const c of SAME) {
    it(c.name, async () => {
      const { header, body, secret } = await c.make(nowSec());
      expect(await both(header, body, secret)).toEqual({ ours: c.expected, sdk: c.expected });
    });
  }

  it('property: random JSON bodies, times and same-rule mutations agree', async () => {
    const mutation = fc.constantFrom(
      'none',
      'flip-byte',
      'wrong-secret',
      'drop-v0',
      'drop-t',
      'swap',
      'extra-scheme',
    );
    const offset = fc.oneof(
      fc.integer({ min: -1790, max: 290 }),
      fc.integer({ min: -1_000_000, max: -1810 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.json(), offset, mutation, fc.nat(), async (body, delta, kind, pick) => {
        const t = nowSec() + delta;
        const d = await digest(kind === 'wrong-secret' ? OTHER : SECRET, body, t);
        let sent = body;
        let header = `t=${t},v0=${d}`;
        if (kind === 'flip-byte') {
          const i = pick % body.length;
          sent = body.slice(0, i) + (body[i] === 'x' ? 'y' : 'x') + body.slice(i + 1);
        }
        if (kind === 'drop-v0') header = `t=${t}`;
        if (kind === 'drop-t') header = `v0=${d}`;
        if (kind === 'swap') header = `v0=${d},t=${t}`;
        if (kind === 'extra-scheme') header = `t=${t},v1=${'ee'.repeat(32)},v0=${d}`;
        const { ours, sdk } = await both(header, sent);
        expect({ body, delta, kind, ours }).toEqual({ body, delta, kind, ours: sdk });
      }),
      { numRuns: 300 },
    );
  });
});

describe('deliberate differences from the SDK (docs/security.md)', () => {
  it('D1 future bound: more than 300 s ahead is refused; the SDK has no upper bound', async () => {
    const n = nowSec();
    expect(await both(await signed(SECRET, BODY, n + 3600), BODY)).toEqual({ ours: 'too_new', sdk: 'ok' });
    expect(await both(await signed(SECRET, BODY, n + 10 * 365 * 86400), BODY)).toEqual({
      ours: 'too_new',
      sdk: 'ok',
    });
    // Follows from checking time before the HMAC: a forged future request is too_new for us.
    expect(await both(await signed(OTHER, BODY, n + 3600), BODY)).toEqual({
      ours: 'too_new',
      sdk: 'mismatch',
    });
  });

  it('D2 several v0: any valid one passes; the SDK only looks at the first', async () => {
    const n = nowSec();
    const header = `t=${n},v0=${'ab'.repeat(32)},v0=${await digest(SECRET, BODY, n)}`;
    expect(await both(header, BODY)).toEqual({ ours: 'ok', sdk: 'mismatch' });
  });

  it('D3 secret list: ours passes if the SDK would pass with any one of the secrets', async () => {
    const n = nowSec();
    const rotating = createVerifier({ secrets: [OTHER, SECRET] });
    for (const signer of [SECRET, OTHER, 'wsec_not_configured_anywhere']) {
      const header = await signed(signer, BODY, n);
      const ours = outcome(await rotating(header, encoder.encode(BODY), Date.now()));
      const sdk = [await sdkOutcome(BODY, header, OTHER), await sdkOutcome(BODY, header, SECRET)];
      expect({ signer, ours }).toEqual({ signer, ours: sdk.includes('ok') ? 'ok' : 'mismatch' });
    }
  });

  it('D4 whitespace around parts is stripped (FR-1.6); the SDK refuses it', async () => {
    const n = nowSec();
    const d = await digest(SECRET, BODY, n);
    expect(await both(`t=${n}, v0=${d}`, BODY)).toEqual({ ours: 'ok', sdk: 'format' });
    expect(await both(` t=${n},v0=${d}`, BODY)).toEqual({ ours: 'ok', sdk: 'format' });
    expect(await both(`t=${n},v0=${d} `, BODY)).toEqual({ ours: 'ok', sdk: 'mismatch' });
    // The timestamp text we verify is the trimmed one; the SDK signs the text as sent, spaces included.
    const spaced = `t= ${n},v0=${await digestOverText(SECRET, BODY, ` ${n}`)}`;
    expect(await both(spaced, BODY)).toEqual({ ours: 'mismatch', sdk: 'ok' });
  });

  it('D5 upper-case hex is accepted; the SDK compares strings', async () => {
    const n = nowSec();
    const d = await digest(SECRET, BODY, n);
    expect(await both(`t=${n},v0=${d.toUpperCase()}`, BODY)).toEqual({ ours: 'ok', sdk: 'mismatch' });
  });

  it('D6 t must be decimal digits; the SDK takes anything Number() takes, or NaN (skipping the time check)', async () => {
    const n = nowSec();
    for (const text of ['abc', `${n}.5`, '1e10', '0x6B49D200']) {
      const header = `t=${text},v0=${await digestOverText(SECRET, BODY, text)}`;
      expect({ text, ...(await both(header, BODY)) }).toEqual({ text, ours: 'format', sdk: 'ok' });
    }
    expect(await both(`t=abc,v0=${'ab'.repeat(32)}`, BODY)).toEqual({ ours: 'format', sdk: 'mismatch' });
  });

  it('D7 a v0 that is not 64 hex characters is malformed, not a mismatch', async () => {
    const n = nowSec();
    const d = await digest(SECRET, BODY, n);
    for (const bad of ['', 'zz', d.slice(1), `${d}00`, `${d.slice(2)}zz`]) {
      expect({ bad, ...(await both(`t=${n},v0=${bad}`, BODY)) }).toEqual({
        bad,
        ours: 'format',
        sdk: 'mismatch',
      });
    }
    // With a stale t the SDK reports the time first; we report the malformed header first.
    expect(await both(`t=${n - 7200},v0=zz`, BODY)).toEqual({ ours: 'format', sdk: 'too_old' });
  });

  it('D8 more than one t is malformed; the SDK uses the first', async () => {
    const n = nowSec();
    const header = `t=${n},t=${n - 7200},v0=${await digest(SECRET, BODY, n)}`;
    expect(await both(header, BODY)).toEqual({ ours: 'format', sdk: 'ok' });
  });

  it('D9 headers over 2048 characters or 16 parts are malformed; the SDK reads any size', async () => {
    const n = nowSec();
    const valid = await signed(SECRET, BODY, n);
    expect(await both(`${valid},x=${'y'.repeat(3000)}`, BODY)).toEqual({ ours: 'format', sdk: 'ok' });
    expect(await both(`${valid}${',x=y'.repeat(20)}`, BODY)).toEqual({ ours: 'format', sdk: 'ok' });
  });

  it('D10 a blank header counts as missing; the SDK calls it malformed', async () => {
    expect(await both('   ', BODY)).toEqual({ ours: 'missing', sdk: 'format' });
  });

  it('D11 secrets are checked once, at construction; the SDK checks an empty one per call', async () => {
    expect(() => createVerifier({ secrets: [''] })).toThrow('secrets[0]');
    expect(() => createVerifier({ secrets: [`${SECRET}\n`] })).toThrow('secrets[0]');
    const n = nowSec();
    let sdkError = '';
    try {
      await sdkOutcome(BODY, await signed(SECRET, BODY, n), '');
    } catch (error) {
      sdkError = (error as Error).message.split('\n')[0];
    }
    expect(sdkError).toBe('Webhook secret not configured');
  });

  it('D12 the body is bytes: a non-UTF-8 body verifies for us; the SDK, taking a string, cannot', async () => {
    const raw = new Uint8Array([0x7b, 0xff, 0xfe, 0x80, 0x7d]);
    const n = nowSec();
    const header = await sign(SECRET, raw, n);
    expect(outcome(await verify(header, raw, Date.now()))).toBe('ok');
    expect(await sdkOutcome(new TextDecoder().decode(raw), header, SECRET)).toBe('mismatch');
  });
});
