/** Other code reaches agent-memory only through its index.ts: the CLI's replay command included. */
import { describe, expect, it } from 'bun:test';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ReplayUsageError, replayCommand } from '../../plugins/agent-memory/index.ts';

describe("agent-memory's package surface", () => {
  it('exports the replay command and its usage error from index.ts', async () => {
    const io = { out: () => {}, err: () => {} };
    const load = async () => ({});
    const error = await replayCommand(['--bogus'], io, load).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplayUsageError);
    expect((error as Error).message).toBe('unknown argument --bogus');
  });

  it('is imported by the CLI through index.ts only', async () => {
    const cli = await readFile(fileURLToPath(new URL('../../src/cli.ts', import.meta.url)), 'utf8');
    const paths = [...cli.matchAll(/['"](\.\.\/plugins\/agent-memory\/[^'"]*)['"]/g)].map((m) => m[1]);
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.every((p) => p === '../plugins/agent-memory/index.ts')).toBe(true);
  });
});
