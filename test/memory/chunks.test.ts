/**
 * How a conversation becomes stored texts: whitespace runs become one space (tabs, newlines,
 * no-break and other Unicode spaces included), NULs go, and transcript chunks hold whole turns within the
 * chunk size.
 */
import { describe, expect, it } from 'bun:test';
import { conversationPieces, singleSpaced } from '../../plugins/memory/chunks.ts';

const byReplace = (text: string) => text.replace(/\0/g, '').replace(/\s+/g, ' ').trim();

describe('conversation pieces', () => {
  it('makes every whitespace run one space, as a replace of /\\s+/ would', () => {
    const samples = [
      'plain words only',
      '  leading and trailing  ',
      'two  spaces',
      'tab\there',
      'line\nbreak and\r\nwindows',
      'no\u00a0break and\u2003em space',
      ' ',
      '',
      'end with newline\n',
      'ideographic\u3000space',
      'nul\u0000inside and \u0000 between',
    ];
    for (const text of samples) expect(singleSpaced(text)).toBe(byReplace(text));
    // And on random texts over an alphabet heavy in whitespace (seeded, so a failure repeats).
    const alphabet = ['a', 'b', ' ', ' ', '\t', '\n', '\u00a0', '\u2028', 'é', '\u0000'];
    let seed = 13;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({ length: next() % 12 }, () => alphabet[next() % alphabet.length]).join('');
      expect(singleSpaced(text)).toBe(byReplace(text));
    }
  });

  it('cuts the transcript into chunks of whole turns within the chunk size', () => {
    const pieces = conversationPieces(
      {
        conversationId: 'c1',
        endedAt: '2026-01-01T00:00:00Z',
        summary: 'A  summary\twith\nspaces',
        transcript: Array.from({ length: 6 }, (_, t) => ({
          role: t % 2 ? ('user' as const) : ('agent' as const),
          text: `turn ${t}   says ${'word '.repeat(10)}`,
        })),
      },
      200,
    );
    expect(pieces[0]).toEqual({ kind: 'summary', seq: 0, text: 'A summary with spaces' });
    const chunks = pieces.filter((piece) => piece.kind === 'transcript');
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.text.length).toBeLessThanOrEqual(200);
    const lines = chunks.flatMap((chunk) => chunk.text.split('\n'));
    expect(lines).toEqual(
      Array.from(
        { length: 6 },
        (_, t) => `${t % 2 ? 'Caller' : 'Agent'}: turn ${t} says ${'word '.repeat(10).trim()}`,
      ),
    );
  });
});
