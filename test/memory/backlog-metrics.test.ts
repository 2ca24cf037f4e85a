/**
 * /metrics shows the embedded backend's upkeep backlog: rows not in the search index yet and rows
 * not counted yet, down to 0 once the background rounds caught up. Remote backends have none.
 */
import { describe, expect, it } from 'bun:test';
import { createEmbeddedBackend } from '../../plugins/memory/embedded.ts';
import { memoryPlugin } from '../../plugins/memory/index.ts';
import type { MemoryBackend } from '../../plugins/memory/types.ts';
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
  it('counts the rows still to index and to count, down to 0 as the rounds catch up', async () => {
    const { core } = await testCore({ plugins: [memoryPlugin], env: { MEMORY_BACKEND: 'embedded' } });
    const backend = core.service<MemoryBackend>('memory');
    await backend.storeConversation({ userId: '+1' }, conversation('c1', 'parrot'));
    expect(backlog(await core.metrics.metrics())).toEqual({ unindexed: 0, uncounted: 0 });

    const insert = core.db.$client.prepare(INSERT);
    for (let i = 0; i < 3; i++) insert.run(`hand${i}`, `a budgie number ${i}`);
    core.db.$client.exec("UPDATE memory_items SET text = 'a canary' WHERE conversation_id = 'c1'");
    expect(backlog(await core.metrics.metrics())).toEqual({ unindexed: 4, uncounted: 4 });
    await core.stop();
  });

  it('empties as a backend with fast rounds indexes the rows', async () => {
    const { core } = await testCore({ plugins: [memoryPlugin], env: { MEMORY_BACKEND: 'embedded' } });
    const insert = core.db.$client.prepare(INSERT);
    for (let i = 0; i < 3; i++) insert.run(`hand${i}`, `a budgie number ${i}`);
    expect(backlog(await core.metrics.metrics())).toEqual({ unindexed: 3, uncounted: 3 });
    const other = createEmbeddedBackend({ db: core.db, clock: systemClock, mergeIntervalMs: 10 });
    expect(await waitUntil(async () => backlog(await core.metrics.metrics()).unindexed === 0)).toBe(true);
    expect(backlog(await core.metrics.metrics())).toEqual({ unindexed: 0, uncounted: 0 });
    await other.close?.();
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
