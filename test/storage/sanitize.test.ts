import { describe, expect, it } from 'bun:test';
import { join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import {
  isSafeSegment,
  PathEscapeError,
  resolveInside,
  sanitizeSegment,
} from '../../plugins/storage/sanitize.ts';

const BASE = resolve('/srv/elaoms/data/webhooks');
const bytes = (s: string) => new TextEncoder().encode(s).length;

/** The invariants every output must satisfy, whatever the input. */
function checkSegment(input: string, out: string, maxBytes = 255): void {
  const label = JSON.stringify(input);
  const fail = (why: string) => {
    throw new Error(`${label} → ${JSON.stringify(out)}: ${why}`);
  };
  if (out.length === 0) fail('empty');
  if (bytes(out) > maxBytes) fail('too long');
  if (!/^[\x20-\x7e]+$/.test(out)) fail('not printable ASCII');
  if (/[/\\<>:"|?*\s%&$]/.test(out)) fail('separator, reserved or space character');
  if (out === '.' || out === '..' || out.includes('..')) fail('dot segment');
  if (out.startsWith('.') || out.startsWith('-') || out.endsWith('.'))
    fail('leading dot/dash or trailing dot');
  if (/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i.test(out)) fail('Windows device name');
  if (out !== out.normalize('NFKC')) fail('changes under NFKC');
  if (sanitizeSegment(out) !== out) fail('not idempotent');
  if (!isSafeSegment(out)) fail('not recognised as safe');
  const path = resolveInside(BASE, out);
  if (path !== join(BASE, out)) fail('resolves somewhere else');
}

// At least 50 hostile ids, by category, with what we expect of each (or just the invariants).
const HOSTILE: ReadonlyArray<readonly [input: string, expected?: string | RegExp]> = [
  // traversal
  ['..', /^unknown~[0-9a-f]{12}$/],
  ['.', /^unknown~[0-9a-f]{12}$/],
  ['...', /^unknown~/],
  ['../../etc/passwd', /^etc_passwd~[0-9a-f]{12}$/],
  ['..\\..\\windows\\win.ini', /^windows_win.ini~/],
  ['....//....//etc', /^etc~/],
  ['a/../../b', /^a_b~/],
  ['conv_1/../../../root/.ssh/authorized_keys'],
  ['./.', /^unknown~/],
  ['.../...', /^unknown~/],
  // absolute and UNC
  ['/etc/passwd', /^etc_passwd~/],
  ['//etc//passwd', /^etc_passwd~/],
  ['C:\\Windows\\System32', /^C_Windows_System32~/],
  ['\\\\server\\share\\x', /^server_share_x~/],
  ['\\\\?\\C:\\x', /^C_x~/],
  ['file:///etc/passwd', /^file_etc_passwd~/],
  ['~/.bashrc', /^bashrc~/],
  // encoded traversal: never decoded, "%" is not allowed
  ['%2e%2e%2f%2e%2e%2fetc', /^2e_2e_2f_2e_2e_2fetc~/],
  ['%252e%252e%252f'],
  ['..%2f..%2f'],
  ['%c0%ae%c0%ae%c0%af'],
  ['\xc0\xae\xc0\xae/'],
  ['%u002e%u002e%u2215'],
  ['&#46;&#46;&#47;'],
  ['..%00.json'],
  // control characters
  ['\0', /^unknown~/],
  ['conv\0.json', /^conv_.json~/],
  ['line\r\nbreak', /^line_break~/],
  ['\x1b[31mred\x1b[0m'],
  ['tab\there'],
  ['c1\x85\x9bcontrol'],
  ['\x7f'],
  // Windows-reserved characters and names
  ['a<b>c:d"e|f?g*h', /^a_b_c_d_e_f_g_h~/],
  ['CON', /^_CON~/],
  ['con', /^_con~/],
  ['Con.txt', /^_Con.txt~/],
  ['PRN.tar.gz', /^_PRN.tar.gz~/],
  ['AUX'],
  ['NUL.json'],
  ['COM1'],
  ['com9.log'],
  ['LPT1'],
  ['lpt9.mp3'],
  ['COM\u00b9', /^_COM1~/],
  ['LPT\u00b3', /^_LPT3~/],
  ['CONIN$', /^CONIN~/],
  ['CLOCK$'],
  ['file.txt::$DATA', /^file.txt_DATA~/],
  ['name. . .', /^name~/],
  ['name   ', /^name~/],
  ['trailing.', /^trailing~/],
  // Unicode tricks
  ['\uff0e\uff0e\uff0f\uff0e\uff0e\uff0fetc', /^etc~/],
  ['\uff3c..\ufe68', /^unknown~/],
  ['a\u2215b\u2044c', /^a_u2215_b_u2044_c~/],
  ['caf\u00e9', /^cafe~/],
  ['cafe\u0301', /^cafe~/],
  ['\u0410dmin', /^u410_dmin~/],
  ['\u202egnp.exe', /^u202e_gnp.exe~/],
  ['zero\u200bwidth'],
  ['\ufeffbom'],
  ['nb\u00a0sp', /^nb_sp~/],
  ['\ud800', /^ud800~/],
  ['lone\udfffsurrogate'],
  ['😀', /^u1f600~/],
  ['Иван Петров'],
  ['東京'],
  // shell, glob, hidden, injection
  ['-rf', /^rf~/],
  ['--help', /^help~/],
  ['.env', /^env~/],
  ['.git', /^git~/],
  ['$(reboot)'],
  ['`id`'],
  ['a;rm -rf /'],
  ['*', /^unknown~/],
  ['?'],
  ['[abc]'],
  ['__proto__', '__proto__'],
  ['a:b:*', /^a_b~/],
  ['<script>alert(1)</script>'],
  ["' OR 1=1 --"],
  // phones
  ['+15550109999', '+15550109999'],
  ['+1 (555) 010-9999', /^\+15550109999~[0-9a-f]{12}$/],
  ['+1.555.010.9999', '+1.555.010.9999'],
  ['\uff0b\uff11\uff15\uff15\uff15', /^\+1555~/],
  ['555-010-9999', '555-010-9999'],
  // ordinary ids stay as they are
  ['conv_01HZY3QK5T', 'conv_01HZY3QK5T'],
  ['agent_456', 'agent_456'],
  ['post_call_transcription', 'post_call_transcription'],
  ['user@example.com', 'user@example.com'],
  ['unknown', 'unknown'],
  ['v1.2.3', 'v1.2.3'],
  // empty and length
  ['', /^unknown~e3b0c44298fc$/],
  ['   ', /^unknown~/],
  ['a'.repeat(128), 'a'.repeat(128)],
  ['a'.repeat(129), /^a{115}~[0-9a-f]{12}$/],
  ['a'.repeat(300)],
  ['é'.repeat(200)],
  ['😀'.repeat(100)],
  ['x'.repeat(4100)],
  [`${'a'.repeat(250)}/../../etc/passwd`],
  [`${'b'.repeat(113)}..${'c'.repeat(20)}`],
];

describe('sanitizeSegment: hostile table', () => {
  it(`has at least 50 entries (${HOSTILE.length})`, () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(50);
  });

  it('every output satisfies the invariants and the expected form', () => {
    for (const [input, expected] of HOSTILE) {
      const out = sanitizeSegment(input);
      checkSegment(input, out, 128);
      if (typeof expected === 'string') expect({ input, out }).toEqual({ input, out: expected });
      if (expected instanceof RegExp)
        expect({ input, out, ok: expected.test(out) }).toEqual({ input, out, ok: true });
    }
  });

  it('gives different raw ids different names (no collisions in the table)', () => {
    const seen = new Map<string, string>();
    for (const [input] of HOSTILE) {
      const out = sanitizeSegment(input);
      expect({ out, first: seen.get(out) ?? input }).toEqual({ out, first: input });
      seen.set(out, input);
    }
  });

  it('keeps NFC and NFD spellings and phone formattings apart', () => {
    expect(sanitizeSegment('caf\u00e9')).not.toBe(sanitizeSegment('cafe\u0301'));
    expect(sanitizeSegment('+1 (555) 010-9999')).not.toBe(sanitizeSegment('+1 555 010 9999'));
    expect(sanitizeSegment('a/b')).not.toBe(sanitizeSegment('a\\b'));
  });

  it('honours maxBytes and refuses unusable limits', () => {
    expect(sanitizeSegment('a'.repeat(255), { maxBytes: 255 })).toBe('a'.repeat(255));
    expect(sanitizeSegment('a'.repeat(256), { maxBytes: 255 }).length).toBe(255);
    expect(sanitizeSegment('a'.repeat(40), { maxBytes: 24 })).toMatch(/^a{11}~[0-9a-f]{12}$/);
    expect(() => sanitizeSegment('x', { maxBytes: 256 })).toThrow(RangeError);
    expect(() => sanitizeSegment('x', { maxBytes: 10 })).toThrow(RangeError);
  });
});

describe('resolveInside', () => {
  it('returns the joined absolute path for safe segments', () => {
    expect(resolveInside(BASE, 'agent_1', 'conv_1_post_call_audio.mp3')).toBe(
      join(BASE, 'agent_1', 'conv_1_post_call_audio.mp3'),
    );
    expect(resolveInside(`${BASE}${sep}`, 'a')).toBe(join(BASE, 'a'));
    expect(resolveInside('relative/base', 'a')).toBe(resolve('relative/base', 'a'));
  });

  it('allows names that merely contain dots', () => {
    expect(resolveInside(BASE, '..a')).toBe(join(BASE, '..a'));
    expect(resolveInside(BASE, 'a', '..', 'b')).toBe(join(BASE, 'b'));
  });

  it('throws PathEscapeError for anything not strictly inside', () => {
    const escapes: string[][] = [
      ['..'],
      ['../x'],
      ['a/../..'],
      ['/etc/passwd'],
      ['.'],
      [''],
      [],
      ['a', '..'],
      ['..', `${BASE.split(sep).at(-1)}X`],
      ['a\0b'],
      [`${BASE}/../webhooksX/a`],
    ];
    for (const segments of escapes) {
      let error: unknown;
      try {
        resolveInside(BASE, ...segments);
      } catch (e) {
        error = e;
      }
      expect({ segments, escaped: error instanceof PathEscapeError }).toEqual({ segments, escaped: true });
    }
  });

  it('does not let a sibling with the same prefix pass (/base vs /baseX)', () => {
    expect(() => resolveInside('/tmp/base', '../baseX/file')).toThrow(PathEscapeError);
  });

  it('names both paths in the error, escaped', () => {
    try {
      resolveInside('/tmp/base', '../\nx');
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(PathEscapeError);
      expect((e as PathEscapeError).base).toBe('/tmp/base');
      expect((e as Error).message).toContain('\\n');
    }
  });
});

// Strings built from a mix of full Unicode, raw bytes, lone UTF-16 units and hostile fragments.
const FRAGMENTS = [
  '..',
  '.',
  '/',
  '\\',
  '%2e',
  '%2f',
  '%252e',
  '\uff0e',
  '\uff0f',
  '\uff3c',
  '\u2215',
  'CON',
  'lpt1',
  'COM\u00b9',
  ' ',
  '\0',
  '~',
  '-',
  '+',
  '_',
  'e\u0301',
  '\u202e',
  '\u00a0',
  ':',
  '$',
];
const unit = fc.oneof(
  fc.constantFrom(...FRAGMENTS),
  fc.string({ unit: 'binary', maxLength: 1, minLength: 1 }),
  fc.string({ unit: 'binary-ascii', maxLength: 1, minLength: 1 }),
  fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)),
  fc.constantFrom('a', 'Z', '0', '9'),
);
const hostileString = fc.oneof(
  fc.string({ unit, maxLength: 80 }),
  fc.string({ unit, minLength: 100, maxLength: 400 }),
  fc.string({ unit: 'binary' }),
  fc.string(),
);

describe('sanitizeSegment: properties', () => {
  it('for any string: non-empty, ≤ 255 bytes, safe ASCII, not a dot segment, stays inside base', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        checkSegment(s, sanitizeSegment(s), 128);
      }),
      { numRuns: 3000 },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(hostileString, (s) => sanitizeSegment(sanitizeSegment(s)) === sanitizeSegment(s)),
      { numRuns: 3000 },
    );
  });

  it('holds for every maxBytes from 24 to 255', () => {
    fc.assert(
      fc.property(hostileString, fc.integer({ min: 24, max: 255 }), (s, maxBytes) => {
        const out = sanitizeSegment(s, { maxBytes });
        return (
          out.length > 0 &&
          bytes(out) <= maxBytes &&
          isSafeSegment(out, { maxBytes }) &&
          sanitizeSegment(out, { maxBytes }) === out
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('returns safe strings unchanged and rewrites every other string', () => {
    fc.assert(
      fc.property(hostileString, (s) => (sanitizeSegment(s) === s) === isSafeSegment(s)),
      { numRuns: 2000 },
    );
  });

  it('maps distinct strings to distinct names unless one of them is already safe', () => {
    fc.assert(
      fc.property(hostileString, hostileString, (a, b) => {
        if (a === b || isSafeSegment(a) || isSafeSegment(b)) return true;
        return sanitizeSegment(a) !== sanitizeSegment(b);
      }),
      { numRuns: 2000 },
    );
  });

  it('resolveInside(base, sanitizeSegment(x), sanitizeSegment(y)) always stays inside base', () => {
    fc.assert(
      fc.property(hostileString, hostileString, (a, b) => {
        const path = resolveInside(BASE, sanitizeSegment(a), sanitizeSegment(b));
        return path.startsWith(BASE + sep) && path.split(sep).length === BASE.split(sep).length + 2;
      }),
      { numRuns: 1000 },
    );
  });

  it('resolveInside never returns a path outside base, whatever the raw segments', () => {
    fc.assert(
      fc.property(fc.array(hostileString, { maxLength: 4 }), (segments) => {
        try {
          const path = resolveInside(BASE, ...segments);
          return path.startsWith(BASE + sep);
        } catch (e) {
          return e instanceof PathEscapeError;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
