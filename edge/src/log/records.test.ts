import { describe, expect, it } from 'vitest';
import { KEY_BYTES } from './codec.js';
import {
  encodeRecord,
  entryBytes,
  joinRecord,
  openRecord,
  RECORD_MAX_BYTES,
  RECORD_MAX_READINGS,
  readingLines,
  recordEntryBytes,
  recordLine,
  recordSpans,
  recordsThrough,
  seqOf,
  takeReadings,
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
    const record = encodeRecord(values, 3, 6, 4);
    expect(record.bytes.toString()).toBe(joinRecord(values, 3, 6));
    expect(openRecord(record.bytes)).toEqual(record);
    expect(readingLines([record.bytes])).toEqual(values.slice(3, 6));
    expect(joinRecord(values, 7, 8)).toBe(values[7]);
  });

  it('reads a seq off the front of a record, or parses it when it is not first', () => {
    expect(seqOf(Buffer.from('{"seq":42,"deviceId":"m1"}\n{"seq":43}'))).toBe(42);
    expect(seqOf(Buffer.from('{"deviceId":"m1","seq":7}\n{"deviceId":"m1","seq":8}'))).toBe(7);
  });

  it('counts bytes as UTF-8, measuring values one by one only when the record is not ASCII', () => {
    const values = ['{"a":1}', '{"é":2}', '{"b":3}'];
    const record = encodeRecord(values, 0, 3, 1);
    const sizes = values.map((v) => KEY_BYTES + Buffer.byteLength(v));
    expect([0, 1, 2].map((i) => entryBytes(record, i))).toEqual(sizes);
    expect(entryBytes(record, 1)).toBe(KEY_BYTES + 8);
    expect(recordEntryBytes(record)).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(recordLine(record, 1)).toBe('{"é":2}');
    // Read back from its bytes, a record tells the same sizes.
    const opened = openRecord(record.bytes);
    expect([0, 1, 2].map((i) => entryBytes(opened, i))).toEqual(sizes);
    const ascii = encodeRecord(values, 2, 3, 3);
    expect(entryBytes(ascii, 0)).toBe(KEY_BYTES + 7);
  });

  it('takes readings across records by seq, count and bytes, as views into the records', () => {
    const line = (seq: number) => `{"seq":${seq},"v":"${'x'.repeat(seq % 3)}"}`;
    const values = Array.from({ length: 9 }, (_, i) => line(i + 1));
    // Records 1-3, 4-7, 8-9.
    const records = [
      encodeRecord(values, 0, 3, 1),
      encodeRecord(values, 3, 7, 4),
      encodeRecord(values, 7, 9, 8),
    ];
    const take = (from: number, to: number, maxBytes = Infinity, index = 0) => {
      const t = takeReadings(records, index, from, to, maxBytes);
      return { ...t, lines: readingLines(t.chunks), chunks: t.chunks.length };
    };
    expect(take(2, 8)).toMatchObject({
      firstSeq: 2,
      count: 7,
      chunks: 3,
      lines: values.slice(1, 8),
      entryBytes: values.slice(1, 8).reduce((a, v) => a + KEY_BYTES + v.length, 0),
    });
    // The byte limit counts JSON only, and always lets the first reading through.
    const two = values[4]?.length ?? 0;
    expect(take(5, 9, two + (values[5]?.length ?? 0))).toMatchObject({ count: 2 });
    expect(take(5, 9, 1)).toMatchObject({ firstSeq: 5, count: 1, lines: [values[4]] });
    // Starting from a record's index; seqs below `from` skipped, none beyond `to`.
    expect(take(6, 6, Infinity, 1)).toMatchObject({ firstSeq: 6, count: 1, chunks: 1 });
    // A `from` below the first record (dropped meanwhile): the run starts where the records do.
    expect(take(0, 2)).toMatchObject({ firstSeq: 1, count: 2 });
    expect(take(10, 12)).toMatchObject({ firstSeq: 0, count: 0, chunks: 0 });
    // Views: nothing copied.
    expect(takeReadings(records, 0, 1, 3, Infinity).chunks[0]?.buffer).toBe(
      records[0]?.bytes.buffer,
    );
  });
});
