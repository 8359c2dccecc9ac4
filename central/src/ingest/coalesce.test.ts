import type { TelemetryBatch } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import { coalesceBatches } from './coalesce.js';
import { KnownIds } from './copy-rows.js';
import { type DecodedBatch, toDecodedBatch } from './decoded-batch.js';
import { jsonbText } from './jsonb-document.js';
import { quarantinedReading } from './quarantined-reading.js';

const telemetry = (
  firstSeq: number,
  n: number,
  epoch = 'epoch-0001',
  dropped = 0,
): TelemetryBatch => ({
  edgeId: 'e1',
  epoch,
  firstSeq,
  lastSeq: firstSeq + n - 1,
  dropped,
  droppedUpTo: dropped,
  readings: Array.from({ length: n }, (_, i) => ({
    seq: firstSeq + i,
    deviceId: `m${i % 2}`,
    ts: 0,
    quality: 'good' as const,
    values: {},
  })),
});

const b = (...args: Parameters<typeof telemetry>): DecodedBatch =>
  toDecodedBatch(telemetry(...args));
const rowsDoc = (batch: DecodedBatch) => {
  if (batch.rows.kind !== 'json') throw new Error('expected JSON rows');
  return batch.rows.doc;
};
/** The same batch as COPY rows, for a decoder that knows stream 7 and both meters. */
const known = new KnownIds();
known.learn({
  edgeId: 'e1',
  epoch: 'epoch-0001',
  streamId: 7,
  meters: [
    ['m0', 10],
    ['m1', 11],
  ],
});
const c = (firstSeq: number, n: number): DecodedBatch =>
  toDecodedBatch(telemetry(firstSeq, n), known);
const copyText = (batch: DecodedBatch) => {
  if (batch.rows.kind !== 'copy') throw new Error('expected COPY rows');
  return Buffer.from(batch.rows.text).toString('utf8');
};
const seqsOf = (batch: DecodedBatch) =>
  (JSON.parse(jsonbText(rowsDoc(batch))) as Array<{ seq: number }>).map((r) => r.seq);

const shape = (groups: ReturnType<typeof coalesceBatches>) =>
  groups.map((g) => [g.batch.epoch, g.batch.firstSeq, g.batch.lastSeq, g.count]);

describe('coalesceBatches', () => {
  it('merges batches that continue each other, keeping seqs contiguous', () => {
    const groups = coalesceBatches([b(1, 3), b(4, 2), b(6, 4)]);
    expect(shape(groups)).toEqual([['epoch-0001', 1, 9, 3]]);
    const merged = groups[0]?.batch as DecodedBatch;
    expect(seqsOf(merged)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(merged.deviceIds.sort()).toEqual(['m0', 'm1']);
  });

  it('starts a new group at a resend, a gap or a new epoch, in arrival order', () => {
    const groups = coalesceBatches([b(1, 3), b(1, 3), b(4, 1), b(9, 1), b(1, 2, 'epoch-0002')]);
    expect(shape(groups)).toEqual([
      ['epoch-0001', 1, 3, 1],
      ['epoch-0001', 1, 4, 2],
      ['epoch-0001', 9, 9, 1],
      ['epoch-0002', 1, 2, 1],
    ]);
  });

  it('takes the drop accounting of the newest batch', () => {
    const [g] = coalesceBatches([
      b(5, 1, 'epoch-0001', 4),
      b(6, 1, 'epoch-0001', 4),
      b(7, 1, 'epoch-0001', 4),
    ]);
    expect(g?.batch).toMatchObject({ firstSeq: 5, lastSeq: 7, dropped: 4, droppedUpTo: 4 });
  });

  it('caps a group at maxReadings', () => {
    expect(shape(coalesceBatches([b(1, 3), b(4, 3), b(7, 3)], 6))).toEqual([
      ['epoch-0001', 1, 6, 2],
      ['epoch-0001', 7, 9, 1],
    ]);
  });

  it('keeps the readings set aside of every merged batch, in seq order, beside the rows', () => {
    const aside = (seq: number) =>
      quarantinedReading(seq, null, { reason: 'schema', message: 'expected object' }, 0);
    // 1..3 with 2 set aside; 4..5 with nothing; 6..8 with 6 and 8 set aside.
    const first = { ...b(1, 3), quarantine: [aside(2)] };
    const third = { ...b(6, 3), quarantine: [aside(6), aside(8)] };
    const [g] = coalesceBatches([first, b(4, 2), third]);
    expect(g?.batch.quarantine.map((q) => q.seq)).toEqual([2, 6, 8]);
    expect(g?.count).toBe(3);
  });

  it('merges COPY rows by joining their lines, and never merges rows of two kinds', () => {
    const groups = coalesceBatches([c(1, 2), c(3, 1), b(4, 1), b(5, 1), c(6, 1)]);
    expect(shape(groups)).toEqual([
      ['epoch-0001', 1, 3, 2],
      ['epoch-0001', 4, 5, 2],
      ['epoch-0001', 6, 6, 1],
    ]);
    expect(copyText(groups[0]?.batch as DecodedBatch).split('\n')).toEqual([
      '7\t1\t10\t1970-01-01T00:00:00.000Z\tgood\t{}',
      '7\t2\t11\t1970-01-01T00:00:00.000Z\tgood\t{}',
      '7\t3\t10\t1970-01-01T00:00:00.000Z\tgood\t{}',
      '',
    ]);
    expect(seqsOf(groups[1]?.batch as DecodedBatch)).toEqual([4, 5]);
  });
});
