/**
 * The default log destination (`logDestination`) holds lines as bytes while a write is in flight:
 * every line reaches the file whole and in order, multi-byte characters included, across many
 * chunks, and `closeLog` writes out the rest before an exit.
 */
import { describe, expect, it } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeLog, createLogger, logDestination } from '../../src/log.ts';

describe('default log destination', () => {
  it('writes every line whole and in order, multi-byte text included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-dest-'));
    const path = join(dir, 'out.log');
    const logger = createLogger({ destination: logDestination(path) });
    const LINES = 3000;
    for (let i = 0; i < LINES; i++) {
      logger.info({ i, caller: `Zoë Ünïcode 電話 ${'x'.repeat(i % 97)}` }, `line ${i} ✓`);
      // Let some writes complete in between, so lines pile up behind one in flight and after it.
      if (i % 250 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await closeLog(logger);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(LINES);
    lines.forEach((text, i) => {
      const line = JSON.parse(text) as { i: number; msg: string; caller: string };
      expect(line.i).toBe(i);
      expect(line.msg).toBe(`line ${i} ✓`);
      expect(line.caller).toBe(`Zoë Ünïcode 電話 ${'x'.repeat(i % 97)}`);
    });
    rmSync(dir, { recursive: true, force: true });
  });
});
