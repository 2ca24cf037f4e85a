import { describe, expect, it } from 'bun:test';
import { MemoryStore } from '../../plugins/cache/index.ts';
import { manualClock } from '../../src/clock.ts';
import { bytes, sameBytes } from './helpers.ts';

function store(overrides: Partial<ConstructorParameters<typeof MemoryStore>[0]> = {}) {
  const clock = manualClock();
  const counts = { expired: 0, evicted: 0 };
  const memory = new MemoryStore({
    clock,
    ttlSeconds: 60,
    maxEntries: 100,
    maxBytes: 1_000_000,
    onExpire: (n) => {
      counts.expired += n;
    },
    onEvict: (n) => {
      counts.evicted += n;
    },
    ...overrides,
  });
  return { clock, counts, memory };
}

describe('memory store', () => {
  it('keeps bytes and text, and returns copies', async () => {
    const { memory } = store();
    const audio = bytes(1000);
    await memory.set('a', audio);
    audio[0] = 99;
    expect(sameBytes(await memory.get('a'), bytes(1000))).toBe(true);
    await memory.set('t', 'héllo');
    expect(await memory.getText('t')).toBe('héllo');
    expect(new TextDecoder().decode((await memory.get('t')) ?? new Uint8Array())).toBe('héllo');
    expect(await memory.getText('missing')).toBeNull();
  });

  it('expires an entry after its TTL, and counts the expiration when it is read', async () => {
    const { memory, clock, counts } = store();
    await memory.set('short', 'x', 10);
    await memory.set('default', 'y');
    clock.advance(9_999);
    expect(await memory.getText('short')).toBe('x');
    clock.advance(1);
    expect(await memory.getText('short')).toBeNull();
    expect(counts.expired).toBe(1);
    clock.advance(50_000);
    expect(await memory.getText('default')).toBeNull();
    expect(counts.expired).toBe(2);
  });

  it('sweep(nowMs) removes only expired entries and says how many', async () => {
    const { memory, clock, counts } = store();
    await memory.set('a', bytes(100), 1);
    await memory.set('b', bytes(100), 2);
    await memory.set('c', bytes(100), 3);
    expect(memory.sweep(clock.now() + 2_000)).toBe(2);
    expect(memory.size).toBe(1);
    expect(memory.bytes).toBe(100);
    expect(counts.expired).toBe(2);
    expect(memory.sweep(clock.now())).toBe(0);
  });

  it('evicts the least recently used entries beyond maxEntries', async () => {
    const { memory, counts } = store({ maxEntries: 2 });
    await memory.set('a', '1');
    await memory.set('b', '2');
    await memory.get('a');
    await memory.set('c', '3');
    expect(await memory.getText('b')).toBeNull();
    expect(await memory.getText('a')).toBe('1');
    expect(await memory.getText('c')).toBe('3');
    expect(counts.evicted).toBe(1);
  });

  it('stays within maxBytes with megabyte payloads', async () => {
    const { memory, counts } = store({ maxBytes: 5_000_000 });
    for (let i = 0; i < 4; i++) await memory.set(`audio:${i}`, bytes(2_000_000, i));
    expect(memory.bytes).toBeLessThanOrEqual(5_000_000);
    expect(memory.size).toBe(2);
    expect(counts.evicted).toBe(2);
    expect(sameBytes(await memory.get('audio:3'), bytes(2_000_000, 3))).toBe(true);
    expect(await memory.get('audio:0')).toBeNull();
  });

  it('replacing a key does not double count its bytes', async () => {
    const { memory } = store();
    await memory.set('k', bytes(500));
    await memory.set('k', bytes(300));
    expect(memory.bytes).toBe(300);
    expect(memory.size).toBe(1);
  });

  it('take returns the value once; setIfAbsent stores only when absent or expired', async () => {
    const { memory, clock } = store();
    await memory.set('k', 'v');
    expect(new TextDecoder().decode((await memory.take('k')) ?? new Uint8Array())).toBe('v');
    expect(await memory.take('k')).toBeNull();
    expect(await memory.setIfAbsent('n', 'first', 5)).toBe(true);
    expect(await memory.setIfAbsent('n', 'second')).toBe(false);
    expect(await memory.getText('n')).toBe('first');
    clock.advance(5_000);
    expect(await memory.setIfAbsent('n', 'third')).toBe(true);
    expect(await memory.getText('n')).toBe('third');
    await memory.delete('n');
    expect(await memory.getText('n')).toBeNull();
    expect(memory.bytes).toBe(0);
  });
});
