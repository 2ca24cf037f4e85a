import { afterEach, describe, expect, it } from 'bun:test';
import { ReplayUsageError, replayOptions, replayWith } from '../../plugins/agent-memory/cli.ts';
import { type Harness, harness, openMemoryFake } from './harness.ts';
import { transcription } from './payloads.ts';

const om = openMemoryFake();
let h: Harness;
afterEach(async () => {
  om.fake.faults.clear();
  await h?.close();
});

function io() {
  const out: string[] = [];
  return { out, io: { out: (t: string) => out.push(t), err: () => {} } };
}

describe('elaoms replay', () => {
  it('parses its flags and refuses unknown ones', () => {
    expect(replayOptions(['--dead', '--config', 'x.json'])).toEqual({ dead: true, list: false });
    expect(replayOptions(['--event', 'e1']).id).toBe('e1');
    expect(replayOptions(['--event=e2']).id).toBe('e2');
    expect(() => replayOptions(['--event'])).toThrow(ReplayUsageError);
    expect(() => replayOptions(['--force'])).toThrow(ReplayUsageError);
  });

  it('lists the dead letters with their reason, then delivers them with --dead', async () => {
    h = await harness({
      config: { memory: om.memoryConfig() },
    });
    om.fake.faults.always({ kind: 'status', status: 422, match: (method) => method === 'POST' });
    await h.postCall(transcription({ conversationId: 'conv_replay' }));

    const listed = io();
    expect(await replayWith(h.core, { dead: false, list: true }, listed.io)).toBe(0);
    expect(listed.out.join('')).toContain('dead');
    expect(listed.out.join('')).toContain('conv_replay');
    expect(listed.out.join('')).toContain('422');

    const pendingOnly = io();
    expect(await replayWith(h.core, { dead: false, list: false }, pendingOnly.io)).toBe(0);
    expect(pendingOnly.out.join('')).toContain('replayed 0');

    om.fake.faults.clear();
    const replayed = io();
    expect(await replayWith(h.core, { dead: true, list: false }, replayed.io)).toBe(0);
    expect(replayed.out.join('')).toContain('replayed 1: delivered 1');
    expect(h.service.events.counts().delivered).toBe(1);
  });

  it('says so when an event id does not exist', async () => {
    h = await harness();
    expect(await replayWith(h.core, { dead: false, list: false, id: 'nope' }, io().io)).toBe(1);
  });
});
