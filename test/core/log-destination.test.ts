/**
 * The default log destination (`logDestination`) holds lines as bytes while a write is in flight:
 * every line reaches the file whole and in order, multi-byte characters included, across many
 * chunks, and `closeLog` writes out the rest before an exit. Processes sharing one stdout pipe
 * (WORKERS=N) never tear each other's lines: each write stays within PIPE_BUF (4 KB), which a pipe
 * takes whole or not at all.
 */
import { describe, expect, it } from 'bun:test';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeLog, createLogger, logDestination } from '../../src/log.ts';
import { runnerArgs } from '../helpers/process.ts';

const WRITER = fileURLToPath(new URL('./scripts/log-lines.ts', import.meta.url));
const READER = fileURLToPath(new URL('./scripts/slow-reader.ts', import.meta.url));
const shellQuote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

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

  it('keeps every line whole when four processes share one slowly read stdout pipe', async () => {
    const runner = (script: string) => [process.execPath, ...runnerArgs(script)].map(shellQuote).join(' ');
    const writers = [1, 2, 3, 4].map((n) => `LOG_WRITER=w${n} ${runner(WRITER)} &`).join(' ');
    const child = spawn('sh', ['-c', `{ ${writers} wait; } | ${runner(READER)}`], {
      env: { ...process.env, LOG_LINES: '5000', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += String(chunk);
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ lines: 20_000, torn: [] });
  }, 60_000);
});
