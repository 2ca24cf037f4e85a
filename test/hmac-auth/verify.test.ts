import { describe, expect, it } from 'bun:test';
import { MAX_HEADER_LENGTH, MAX_HEADER_PARTS } from '../../plugins/hmac-auth/header.ts';
import { createVerifier, REJECT_DETAILS, sign, type Verdict } from '../../plugins/hmac-auth/verify.ts';
import { bytes, VECTOR } from './vector.ts';

const SECRET = 'wsec_unit_secret_abcdefghij';
const T = 1_800_000_000;
const NOW = T * 1000;
const BODY = bytes('{"type":"post_call_transcription","data":{"conversation_id":"c1"}}');

/** 'ok' or the reject reason, so tests can compare one string. */
function outcome(verdict: Verdict): string {
  return verdict.ok ? 'ok' : verdict.reason;
}

function digestOf(header: string): string {
  return header.slice(header.indexOf('v0=') + 3);
}

describe('self-made vector (elevenlabs.md §1.3)', () => {
  const verify = createVerifier({ secrets: [VECTOR.secret] });
  const raw = bytes(VECTOR.body);

  it('sign() reproduces the header byte for byte', async () => {
    expect(await sign(VECTOR.secret, raw, VECTOR.timestamp)).toBe(VECTOR.header);
  });

  it('verifies at t and up to exactly t+1800 s', async () => {
    expect(await verify(VECTOR.header, raw, VECTOR.timestamp * 1000)).toEqual({
      ok: true,
      timestamp: VECTOR.timestamp,
      ageSeconds: 0,
      secretIndex: 0,
    });
    expect((await verify(VECTOR.header, raw, (VECTOR.timestamp + 1800) * 1000)).ok).toBe(true);
  });

  it('fails as too old at t+1801 s (replay after the tolerance)', async () => {
    const verdict = await verify(VECTOR.header, raw, (VECTOR.timestamp + 1801) * 1000);
    expect(verdict).toEqual({ ok: false, reason: 'too_old', detail: 'Timestamp too old', ageSeconds: 1801 });
  });
});

describe('every detail message is reachable', () => {
  const verify = createVerifier({ secrets: [SECRET] });

  it('missing: null, empty and blank headers', async () => {
    for (const header of [null, '', '   ']) {
      expect(await verify(header, BODY, NOW)).toEqual({
        ok: false,
        reason: 'missing',
        detail: 'Missing signature header',
      });
    }
  });

  it('format: no t, no v0, non-numeric t, malformed v0, two t', async () => {
    const good = await sign(SECRET, BODY, T);
    const digest = digestOf(good);
    const headers = [
      'garbage',
      `v0=${digest}`,
      `t=${T}`,
      `t=abc,v0=${digest}`,
      `t=,v0=${digest}`,
      `t=${T}.5,v0=${digest}`,
      `t=-${T},v0=${digest}`,
      `t=1e9,v0=${digest}`,
      `t=${T},v0=${digest.slice(1)}`,
      `t=${T},v0=${digest}0`,
      `t=${T},v0=${digest.slice(2)}zz`,
      `t=${T},v0=`,
      `t=${T},t=${T},v0=${digest}`,
      `t=${T},V0=${digest}`,
      `t=${T},v1=${digest}`,
    ];
    for (const header of headers) {
      const verdict = await verify(header, BODY, NOW);
      expect({ header, verdict }).toEqual({
        header,
        verdict: { ok: false, reason: 'format', detail: 'Invalid signature format' },
      });
    }
  });

  it('too_old: one second past the tolerance', async () => {
    const header = await sign(SECRET, BODY, T - 1801);
    expect(await verify(header, BODY, NOW)).toEqual({
      ok: false,
      reason: 'too_old',
      detail: 'Timestamp too old',
      ageSeconds: 1801,
    });
    expect((await verify(await sign(SECRET, BODY, T - 1800), BODY, NOW)).ok).toBe(true);
  });

  it('too_new: one second past the future tolerance', async () => {
    const header = await sign(SECRET, BODY, T + 301);
    expect(await verify(header, BODY, NOW)).toEqual({
      ok: false,
      reason: 'too_new',
      detail: 'Timestamp too far in the future',
      ageSeconds: -301,
    });
    const edge = await verify(await sign(SECRET, BODY, T + 300), BODY, NOW);
    expect(edge).toEqual({ ok: true, timestamp: T + 300, ageSeconds: -300, secretIndex: 0 });
  });

  it('mismatch: wrong secret', async () => {
    const header = await sign('wsec_someone_else_0000000', BODY, T);
    expect(await verify(header, BODY, NOW)).toEqual({
      ok: false,
      reason: 'mismatch',
      detail: 'Invalid signature',
      ageSeconds: 0,
    });
  });

  it('the detail table has exactly the five documented messages', () => {
    expect(Object.values(REJECT_DETAILS).sort()).toEqual([
      'Invalid signature',
      'Invalid signature format',
      'Missing signature header',
      'Timestamp too far in the future',
      'Timestamp too old',
    ]);
  });
});

describe('body integrity', () => {
  const verify = createVerifier({ secrets: [SECRET] });

  it('every single changed byte of the body fails', async () => {
    const header = await sign(SECRET, BODY, T);
    expect((await verify(header, BODY, NOW)).ok).toBe(true);
    for (let i = 0; i < BODY.length; i++) {
      const changed = BODY.slice();
      changed[i] ^= 0x01;
      expect((await verify(header, changed, NOW)).ok).toBe(false);
    }
  });

  it('a trailing newline or a missing last byte fails', async () => {
    const header = await sign(SECRET, BODY, T);
    const longer = new Uint8Array([...BODY, 0x0a]);
    expect((await verify(header, longer, NOW)).ok).toBe(false);
    expect((await verify(header, BODY.subarray(0, -1), NOW)).ok).toBe(false);
  });

  it('the timestamp is signed: a changed t fails', async () => {
    const header = await sign(SECRET, BODY, T);
    const moved = header.replace(`t=${T}`, `t=${T + 1}`);
    expect((await verify(moved, BODY, NOW)).ok).toBe(false);
  });

  it('binary bodies (all byte values) verify exactly', async () => {
    const raw = new Uint8Array(512).map((_, i) => i % 256);
    expect((await verify(await sign(SECRET, raw, T), raw, NOW)).ok).toBe(true);
  });

  it('an empty body signs and verifies', async () => {
    const raw = new Uint8Array(0);
    expect((await verify(await sign(SECRET, raw, T), raw, NOW)).ok).toBe(true);
  });
});

describe('header tolerance', () => {
  const verify = createVerifier({ secrets: [SECRET] });

  it('whitespace around parts, keys and values; reordered parts; empty parts', async () => {
    const digest = digestOf(await sign(SECRET, BODY, T));
    const headers = [
      `t=${T}, v0=${digest}`,
      ` t=${T} ,\tv0=${digest} `,
      `t = ${T},v0 = ${digest}`,
      `v0=${digest},t=${T}`,
      `t=${T},,v0=${digest},`,
    ];
    for (const header of headers)
      expect({ header, ok: (await verify(header, BODY, NOW)).ok }).toEqual({ header, ok: true });
  });

  it('upper-case and mixed-case hex are accepted', async () => {
    const digest = digestOf(await sign(SECRET, BODY, T));
    expect((await verify(`t=${T},v0=${digest.toUpperCase()}`, BODY, NOW)).ok).toBe(true);
    const mixed = [...digest].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');
    expect((await verify(`t=${T},v0=${mixed}`, BODY, NOW)).ok).toBe(true);
  });

  it('several v0 entries: any valid one passes, in any position', async () => {
    const digest = digestOf(await sign(SECRET, BODY, T));
    const wrong = 'ab'.repeat(32);
    expect((await verify(`t=${T},v0=${wrong},v0=${digest}`, BODY, NOW)).ok).toBe(true);
    expect((await verify(`t=${T},v0=${digest},v0=${wrong}`, BODY, NOW)).ok).toBe(true);
    expect((await verify(`t=${T},v0=zz,v0=${digest}`, BODY, NOW)).ok).toBe(true);
    expect(outcome(await verify(`t=${T},v0=${wrong},v0=${wrong}`, BODY, NOW))).toBe('mismatch');
  });

  it('unknown schemes and key-less parts are ignored', async () => {
    const digest = digestOf(await sign(SECRET, BODY, T));
    const header = `t=${T},v1=${'cd'.repeat(32)},scheme,x=y,v0=${digest}`;
    expect((await verify(header, BODY, NOW)).ok).toBe(true);
  });

  it('leading zeros in t are kept as signed', async () => {
    const digest = digestOf(await sign(SECRET, BODY, T));
    // The sender signed "<t>." with its own text; "0<t>" is a different message.
    expect(outcome(await verify(`t=0${T},v0=${digest}`, BODY, NOW))).toBe('mismatch');
  });
});

describe('secret rotation', () => {
  const OLD = 'wsec_old_secret_0123456789';
  const NEW = 'wsec_new_secret_9876543210';
  const verify = createVerifier({ secrets: [NEW, OLD] });

  it('either secret passes and the verdict says which', async () => {
    const byNew = await verify(await sign(NEW, BODY, T), BODY, NOW);
    const byOld = await verify(await sign(OLD, BODY, T), BODY, NOW);
    expect(byNew).toMatchObject({ ok: true, secretIndex: 0 });
    expect(byOld).toMatchObject({ ok: true, secretIndex: 1 });
  });

  it('a sender signing with both (two v0) passes', async () => {
    const a = digestOf(await sign(OLD, BODY, T));
    const b = digestOf(await sign(NEW, BODY, T));
    expect((await verify(`t=${T},v0=${a},v0=${b}`, BODY, NOW)).ok).toBe(true);
  });

  it('a third secret fails', async () => {
    const verdict = await verify(await sign('wsec_third_secret_000000', BODY, T), BODY, NOW);
    expect(verdict.ok).toBe(false);
  });
});

describe('hostile headers never throw and are refused', () => {
  const verify = createVerifier({ secrets: [SECRET] });

  async function refused(header: string): Promise<string> {
    const verdict = await verify(header, BODY, NOW);
    if (verdict.ok) throw new Error('accepted a hostile header');
    return verdict.reason;
  }

  it('a 100 KB header', async () => {
    const valid = await sign(SECRET, BODY, T);
    expect(await refused('a'.repeat(100 * 1024))).toBe('format');
    expect(await refused(valid + ',' + 'x'.repeat(100 * 1024))).toBe('format');
    expect(await refused(`${valid},v0=${'0'.repeat(100 * 1024)}`)).toBe('format');
  });

  it('binary bytes', async () => {
    let binary = '';
    for (let i = 0; i < 256; i++) binary += String.fromCharCode(i);
    expect(await refused(binary)).toBe('format');
    expect(await refused(`t=${T},v0=${binary.slice(0, 64)}`)).toBe('format');
    expect(await refused(`t=${T}\u0000,v0=${'ab'.repeat(32)}`)).toBe('format');
    expect(await refused(`t=\u0661\u0662\u0663,v0=${'ab'.repeat(32)}`)).toBe('format');
    expect(await refused('\uFFFD\uD800,=,=,=')).toBe('format');
  });

  it('1000 v0 parts, even with the valid one among them', async () => {
    const valid = await sign(SECRET, BODY, T);
    const many = Array.from({ length: 1000 }, () => `v0=${'ab'.repeat(32)}`).join(',');
    expect(await refused(`t=${T},${many}`)).toBe('format');
    expect(await refused(`${valid},${many}`)).toBe('format');
    expect(await refused(','.repeat(1000))).toBe('format');
  });

  it('limits: up to MAX_HEADER_PARTS parts and MAX_HEADER_LENGTH characters are still parsed', async () => {
    const valid = await sign(SECRET, BODY, T);
    const filler = Array.from({ length: MAX_HEADER_PARTS - 2 }, () => `v0=${'ab'.repeat(32)}`);
    const atLimit = [...filler, valid].join(',');
    expect((await verify(atLimit, BODY, NOW)).ok).toBe(true);
    expect(await refused(`v0=${'ab'.repeat(32)},${atLimit}`)).toBe('format');
    const padded = valid + ' '.repeat(MAX_HEADER_LENGTH - valid.length);
    expect((await verify(padded, BODY, NOW)).ok).toBe(true);
    expect(await refused(padded + ' ')).toBe('format');
  });

  it('huge and absurd timestamps', async () => {
    const d = 'ab'.repeat(32);
    expect(await refused(`t=${'9'.repeat(400)},v0=${d}`)).toBe('too_new');
    expect(await refused(`t=0,v0=${d}`)).toBe('too_old');
    expect(await refused(`t=Infinity,v0=${d}`)).toBe('format');
    expect(await refused(`t=0x6B49D200,v0=${d}`)).toBe('format');
  });
});

describe('options', () => {
  it('bad options throw at construction, naming the option', () => {
    expect(() => createVerifier({ secrets: [] })).toThrow('secrets');
    expect(() => createVerifier({ secrets: [''] })).toThrow('secrets[0]');
    expect(() => createVerifier({ secrets: ['ok_secret', ' padded'] })).toThrow('secrets[1]');
    expect(() => createVerifier({ secrets: [SECRET], toleranceSeconds: -1 })).toThrow('toleranceSeconds');
    expect(() => createVerifier({ secrets: [SECRET], futureToleranceSeconds: Number.NaN })).toThrow(
      'futureToleranceSeconds',
    );
  });

  it('custom tolerances apply', async () => {
    const verify = createVerifier({ secrets: [SECRET], toleranceSeconds: 60, futureToleranceSeconds: 0 });
    expect((await verify(await sign(SECRET, BODY, T - 60), BODY, NOW)).ok).toBe(true);
    expect(outcome(await verify(await sign(SECRET, BODY, T - 61), BODY, NOW))).toBe('too_old');
    expect(outcome(await verify(await sign(SECRET, BODY, T + 1), BODY, NOW))).toBe('too_new');
  });

  it('the secrets array is copied: later changes by the caller have no effect', async () => {
    const secrets = [SECRET];
    const verify = createVerifier({ secrets });
    secrets[0] = 'wsec_changed_afterwards_00';
    expect((await verify(await sign(SECRET, BODY, T), BODY, NOW)).ok).toBe(true);
  });

  it('sign() refuses a non-integer timestamp', async () => {
    await expect(sign(SECRET, BODY, 1.5)).rejects.toThrow('timestampSec');
  });
});
