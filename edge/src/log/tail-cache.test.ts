import { describe, expect, it } from 'vitest';
import { KEY_BYTES } from './codec.js';
import { encodeRecord, readingLines } from './records.js';
import { TailCache } from './tail-cache.js';

/** Values `v<seq>`, one record for `count` of them from seq `from`. */
function values(from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `v${from + i}`);
}
function add(cache: TailCache, from: number, count: number): void {
  cache.append(encodeRecord(values(from, count), 0, count, from));
}
function lines(cache: TailCache, from: number, maxCount: number, maxBytes = Infinity) {
  const taken = cache.read(from, maxCount, maxBytes);
  return taken && readingLines(taken.chunks);
}

describe('TailCache', () => {
  it('serves contiguous reads from any cached seq, across records, limited by count', () => {
    const cache = new TailCache(1_000);
    add(cache, 1, 5);
    add(cache, 6, 5);
    expect(lines(cache, 1, 3)).toEqual(['v1', 'v2', 'v3']);
    expect(lines(cache, 4, 4)).toEqual(['v4', 'v5', 'v6', 'v7']);
    expect(lines(cache, 8, 10)).toEqual(['v8', 'v9', 'v10']);
    expect(cache.read(11, 1, Infinity)).toBeUndefined(); // not appended yet
    expect(cache.read(0, 1, Infinity)).toBeUndefined();
  });

  it('limits a read by value bytes, but always returns the first value', () => {
    const cache = new TailCache(1_000);
    add(cache, 1, 9); // values of 2 bytes each
    expect(cache.read(1, 9, 5)).toMatchObject({
      firstSeq: 1,
      count: 2,
      entryBytes: 2 * (KEY_BYTES + 2),
    });
    expect(lines(cache, 3, 9, 1)).toEqual(['v3']);
  });

  it('evicts whole records, oldest first, beyond its byte bound, and forgets acknowledged ones', () => {
    const cache = new TailCache(6 * (KEY_BYTES + 2));
    add(cache, 1, 3);
    add(cache, 4, 3);
    add(cache, 7, 2); // 8 entries: the oldest record goes
    expect(cache.count).toBe(2);
    expect(cache.read(3, 1, Infinity)).toBeUndefined();
    expect(lines(cache, 4, 9)).toEqual(['v4', 'v5', 'v6', 'v7', 'v8']);
    // A record straddling the mark stays; only wholly acknowledged ones go.
    cache.forgetUpTo(5);
    expect(cache.count).toBe(2);
    expect(lines(cache, 6, 9)).toEqual(['v6', 'v7', 'v8']);
    cache.forgetUpTo(6);
    expect(cache.count).toBe(1);
    expect(cache.read(6, 9, Infinity)).toBeUndefined();
    cache.forgetUpTo(100);
    expect(cache.count).toBe(0);
    add(cache, 9, 2); // continues after having been emptied
    expect(lines(cache, 9, 9)).toEqual(['v9', 'v10']);
  });

  it('starts over when an append does not continue it, and keeps nothing when off', () => {
    const cache = new TailCache(1_000);
    add(cache, 1, 3);
    add(cache, 10, 2);
    expect(cache.read(1, 1, Infinity)).toBeUndefined();
    expect(lines(cache, 10, 9)).toEqual(['v10', 'v11']);
    const off = new TailCache(0);
    add(off, 1, 3);
    expect(off.count).toBe(0);
    expect(off.read(1, 1, Infinity)).toBeUndefined();
  });

  it('stays correct across many appends and forgets (compaction)', () => {
    const cache = new TailCache(50 * 12);
    for (let first = 1; first <= 5_000; first += 7) {
      add(cache, first, 7);
      if (first % 3 === 0) cache.forgetUpTo(first - 20);
      const last = first + 6;
      expect(lines(cache, last - 3, 10)).toEqual(values(last - 3, 4));
    }
  });
});
