import { afterEach, describe, expect, it } from 'bun:test';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { type Harness, harness } from './harness.ts';
import { transcription } from './payloads.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function held(dir: string): Promise<string[]> {
  const entries = await readdir(join(dir, 'quarantine')).catch(() => [] as string[]);
  return entries.filter((name) => name.endsWith('.body'));
}

function quarantineRows(h: Harness) {
  return h.core.db.all<{ status: string }>(sql`SELECT status FROM storage_files WHERE quarantined = 1`);
}

describe('quarantine copies of signed bodies the handler refuses', () => {
  it('drops the copy of a signed body without data (400 Missing data)', async () => {
    h = await harness();
    const response = await h.postCall({ type: 'post_call_transcription', data: 'not an object' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ detail: 'Missing data' });
    expect(await held(h.dir)).toEqual([]);
    expect(quarantineRows(h)).toEqual([]);
  });

  it('drops the copy of a signed body without a conversation id (400 Missing conversation_id)', async () => {
    h = await harness();
    const response = await h.postCall({ type: 'post_call_transcription', data: { agent_id: 'agent_x' } });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ detail: 'Missing conversation_id' });
    expect(await held(h.dir)).toEqual([]);
    expect(quarantineRows(h)).toEqual([]);
  });

  it('keeps nothing in quarantine after an accepted transcription either', async () => {
    h = await harness();
    expect((await h.postCall(transcription({ conversationId: 'conv_q_ok' }))).status).toBe(200);
    expect(await held(h.dir)).toEqual([]);
    expect(quarantineRows(h)).toEqual([]);
  });
});
