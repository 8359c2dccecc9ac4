import { describe, expect, it } from 'vitest';
import { TailCache } from './tail-cache.js';

const KEY = 9;
/** Values `v<seq>` whose entry bytes are key + value length. */
function entries(from: number, count: number): { values: string[]; sizes: number[] } {
  const values = Array.from({ length: count }, (_, i) => `v${from + i}`);
  return { values, sizes: values.map((v) => KEY + v.length) };
}
function add(cache: TailCache, from: number, count: number): void {
  const { values, sizes } = entries(from, count);
  cache.append(from, values, sizes);
}

describe('TailCache', () => {
  it('serves contiguous reads from any cached seq, limited by count', () => {
    const cache = new TailCache(1_000);
    add(cache, 1, 5);
    add(cache, 6, 5);
    expect(cache.read(1, 3, Infinity, KEY)?.values).toEqual(['v1', 'v2', 'v3']);
    expect(cache.read(8, 10, Infinity, KEY)?.values).toEqual(['v8', 'v9', 'v10']);
    expect(cache.read(11, 1, Infinity, KEY)).toBeUndefined(); // not appended yet
    expect(cache.read(0, 1, Infinity, KEY)).toBeUndefined();
  });

  it('limits a read by value bytes, but always returns the first value', () => {
    const cache = new TailCache(1_000);
    add(cache, 1, 9); // values of 2 bytes each
    expect(cache.read(1, 9, 5, KEY)).toEqual({ values: ['v1', 'v2'], entryBytes: 2 * 11 });
    expect(cache.read(3, 9, 1, KEY)).toEqual({ values: ['v3'], entryBytes: 11 });
  });

  it('evicts the oldest beyond its byte bound, and forgets acknowledged seqs', () => {
    const cache = new TailCache(5 * 11);
    add(cache, 1, 8);
    expect(cache.count).toBe(5);
    expect(cache.read(3, 1, Infinity, KEY)).toBeUndefined();
    expect(cache.read(4, 9, Infinity, KEY)?.values).toEqual(['v4', 'v5', 'v6', 'v7', 'v8']);
    cache.forgetUpTo(6);
    expect(cache.read(6, 9, Infinity, KEY)).toBeUndefined();
    expect(cache.read(7, 9, Infinity, KEY)?.values).toEqual(['v7', 'v8']);
    cache.forgetUpTo(100);
    expect(cache.count).toBe(0);
    add(cache, 9, 2); // continues after having been emptied
    expect(cache.read(9, 9, Infinity, KEY)?.values).toEqual(['v9', 'v10']);
  });

  it('starts over when an append does not continue it, and keeps nothing when off', () => {
    const cache = new TailCache(1_000);
    add(cache, 1, 3);
    add(cache, 10, 2);
    expect(cache.read(1, 1, Infinity, KEY)).toBeUndefined();
    expect(cache.read(10, 9, Infinity, KEY)?.values).toEqual(['v10', 'v11']);
    const off = new TailCache(0);
    add(off, 1, 3);
    expect(off.count).toBe(0);
    expect(off.read(1, 1, Infinity, KEY)).toBeUndefined();
  });

  it('stays correct across many appends and forgets (compaction)', () => {
    const cache = new TailCache(50 * 12);
    let acked = 0;
    for (let first = 1; first <= 5_000; first += 7) {
      add(cache, first, 7);
      if (first % 3 === 0) {
        acked = first - 20;
        cache.forgetUpTo(acked);
      }
      const last = first + 6;
      const read = cache.read(last - 3, 10, Infinity, KEY);
      expect(read?.values).toEqual(entries(last - 3, 4).values);
    }
  });
});
