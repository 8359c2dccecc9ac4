import { describe, expect, it } from 'vitest';
import { KEY_BYTES } from './codec.js';
import { encodeRecord, readingLines } from './records.js';
import { CHUNK_BYTES, SMALL_RECORD_BYTES, TailCache } from './tail-cache.js';

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

  it('copies small records into shared chunks; views handed out stay as they were', () => {
    const cache = new TailCache(1024 * 1024);
    add(cache, 1, 3);
    const early = cache.read(1, 3, Infinity);
    for (let first = 4; first < 3_000; first += 3) add(cache, first, 3);
    // ~3,000 readings of ~6 bytes: a few chunks, not a thousand records.
    expect(cache.count).toBeLessThanOrEqual(Math.ceil((3_000 * 7) / CHUNK_BYTES) + 1);
    expect(readingLines(early?.chunks ?? [])).toEqual(['v1', 'v2', 'v3']);
    expect(lines(cache, 1, 3_000)).toEqual(values(1, 3_000));
    // A large record is cached as it is; small ones after it start a new chunk.
    const big = Array.from(
      { length: 3 },
      (_, i) => `v${3_001 + i}${'x'.repeat(SMALL_RECORD_BYTES)}`,
    );
    const before = cache.count;
    cache.append(encodeRecord(big, 0, 3, 3_001));
    add(cache, 3_004, 2);
    add(cache, 3_006, 2);
    expect(cache.count).toBe(before + 2);
    expect(lines(cache, 2_999, 9)).toEqual([
      'v2999',
      'v3000',
      ...big,
      'v3004',
      'v3005',
      'v3006',
      'v3007',
    ]);
    // Entry bytes are counted per reading, chunked or not: forgetting all leaves none.
    cache.forgetUpTo(3_007);
    expect(cache.count).toBe(0);
  });
});
