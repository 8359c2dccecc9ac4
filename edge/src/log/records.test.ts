import { describe, expect, it } from 'vitest';
import { KEY_BYTES } from './codec.js';
import {
  entrySizes,
  joinRecord,
  RECORD_MAX_BYTES,
  RECORD_MAX_READINGS,
  recordSpans,
  recordsThrough,
  seqOf,
  splitRecord,
} from './records.js';

describe('log records', () => {
  it('deletes a record only once every reading it holds is at or below the mark', () => {
    // Records at 1 (1-500), 501 (501-1000), 1001 (1001-1200, the last).
    expect(recordsThrough([1], 300, 1200)).toEqual([]);
    expect(recordsThrough([1, 501], 500, 1200)).toEqual([1]);
    expect(recordsThrough([1, 501], 700, 1200)).toEqual([1]);
    expect(recordsThrough([1, 501, 1001], 1000, 1200)).toEqual([1, 501]);
    expect(recordsThrough([1, 501, 1001], 1199, 1200)).toEqual([1, 501]);
    expect(recordsThrough([1, 501, 1001], 1200, 1200)).toEqual([1, 501, 1001]);
    // A record straddling an earlier mark (its head acked) goes with the rest of it.
    expect(recordsThrough([301, 501], 500, 1200)).toEqual([301]);
    // One reading per record (the first layout).
    expect(recordsThrough([4, 5, 6, 7], 6, 9)).toEqual([4, 5, 6]);
  });

  it('cuts a large group commit into bounded records, and splits them back', () => {
    const values = Array.from(
      { length: 2 * RECORD_MAX_READINGS + 5 },
      (_, i) => `{"seq":${i + 1}}`,
    );
    const spans = recordSpans(values);
    expect(spans).toEqual([
      [0, RECORD_MAX_READINGS],
      [RECORD_MAX_READINGS, 2 * RECORD_MAX_READINGS],
      [2 * RECORD_MAX_READINGS, 2 * RECORD_MAX_READINGS + 5],
    ]);
    const big = Array.from({ length: 4 }, () => 'x'.repeat(RECORD_MAX_BYTES / 2));
    expect(recordSpans(big)).toEqual([
      [0, 2],
      [2, 4],
    ]);
    expect(recordSpans(['x'.repeat(RECORD_MAX_BYTES * 2)])).toEqual([[0, 1]]);
    const record = joinRecord(values, 3, 6);
    expect(splitRecord(record)).toEqual(values.slice(3, 6));
    expect(joinRecord(values, 7, 8)).toBe(values[7]);
  });

  it('reads a seq off the front of a reading, or parses it when it is not first', () => {
    expect(seqOf('{"seq":42,"deviceId":"m1"}')).toBe(42);
    expect(seqOf('{"deviceId":"m1","seq":7}')).toBe(7);
  });

  it('counts bytes as UTF-8, measuring values one by one only when the record is not ASCII', () => {
    const values = ['{"a":1}', '{"é":2}', '{"b":3}'];
    const sizes: number[] = [];
    entrySizes(values, 0, 3, joinRecord(values, 0, 3), sizes);
    expect(sizes).toEqual(values.map((v) => KEY_BYTES + Buffer.byteLength(v)));
    expect(sizes[1]).toBe(KEY_BYTES + 8);
    entrySizes(values, 2, 3, values[2] as string, sizes);
    expect(sizes[2]).toBe(KEY_BYTES + 7);
  });
});
