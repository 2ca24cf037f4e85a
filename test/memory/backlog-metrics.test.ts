/**
 * /metrics shows the embedded backend's upkeep backlog: ids the rounds have still to index and rows
 * not counted yet, down to 0 once the background rounds caught up. Remote backends have none.
 */
import { describe, expect, it } from 'bun:test';
import { createEmbeddedBackend } from '../../plugins/memory/embedded.ts';
import { memoryPlugin } from '../../plugins/memory/index.ts';
import type { MemoryBackend } from '../../plugins/memory/types.ts';
import { upkeepBacklog } from '../../plugins/memory/upkeep.ts';
import { systemClock } from '../../src/clock.ts';
import { testCore } from '../helpers/core.ts';
import { waitUntil } from '../helpers/wait.ts';
import { conversation } from './helpers.ts';

const INSERT =
  "INSERT INTO memory_items (user_id, conversation_id, kind, seq, text, created_at) VALUES ('+1', ?, 'fact', 0, ?, 0)";

function backlog(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const found = line.match(/^elaoms_memory_backlog_rows\{kind="(\w+)"\} (\d+)$/);
    if (found) out[found[1]!] = Number(found[2]);
  }
  return out;
}

describe('memory backlog metrics', () => {
  it('shows the ids still to index and the rows still to count', async () => {
    const { core } = await testCore({ plugins: [memoryPlugin], env: { MEMORY_BACKEND: 'embedded' } });
    const backend = core.service<MemoryBackend>('memory');
    await backend.storeConversation({ userId: '+1' }, conversation('c1', 'parrot'));
    expect(backlog(await core.metrics.metrics())).toEqual({ above_mark: 0, uncounted: 0 });

    const insert = core.db.$client.prepare(INSERT);
    for (let i = 0; i < 3; i++) insert.run(`hand${i}`, `a budgie number ${i}`);
    // The stored row changed by hand: the mark goes back below it, so 4 ids are to walk again.
    core.db.$client.exec("UPDATE memory_items SET text = 'a canary' WHERE conversation_id = 'c1'");
    expect(backlog(await core.metrics.metrics())).toEqual({ above_mark: 4, uncounted: 4 });
    await core.stop();
  });

  it('goes down to 0 as the background rounds catch up', async () => {
    const { core } = await testCore({ plugins: [memoryPlugin], env: { MEMORY_BACKEND: 'embedded' } });
    // A backend with fast rounds, created before the rows: the rounds, not its start, index them.
    const rounds = createEmbeddedBackend({ db: core.db, clock: systemClock, mergeIntervalMs: 10 });
    const insert = core.db.$client.prepare(INSERT);
    for (let i = 0; i < 3; i++) insert.run(`hand${i}`, `a budgie number ${i}`);
    // Read at once (no round can run in between), then through /metrics as the rounds go.
    expect(upkeepBacklog(core.db)).toEqual({ aboveMark: 3, uncounted: 3 });
    const caughtUp = async () => {
      const now = backlog(await core.metrics.metrics());
      return now.above_mark === 0 && now.uncounted === 0;
    };
    expect(await waitUntil(caughtUp)).toBe(true);
    expect((await rounds.search({ userId: '+1' }, 'budgie', { limit: 5 })).length).toBe(3);
    await rounds.close?.();
    await core.stop();
  });

  it('is not there for a remote backend', async () => {
    const { core } = await testCore({
      plugins: [memoryPlugin],
      env: { MEMORY_BACKEND: 'openmemory', OPENMEMORY_API_KEY: 'k', OPENMEMORY_URL: 'http://127.0.0.1:9' },
    });
    expect(await core.metrics.metrics()).not.toContain('elaoms_memory_backlog_rows');
    await core.stop();
  });
});
