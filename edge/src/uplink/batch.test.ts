import { type Reading, telemetryBatchSchema } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import type { ReadingLogStats } from '../log/index.js';
import { encodeBatch } from './batch.js';

const stats: ReadingLogStats = {
  epoch: '3f0c9a4e-7d7b-4f4e-9a55-0d1c2b3a4f5e',
  lastSeq: 44,
  ackedUpTo: 40,
  pending: 4,
  dropped: 7,
  droppedUpTo: 12,
  bytes: 0,
};

const readings: Reading[] = [
  {
    seq: 41,
    deviceId: 'meter-1',
    ts: 1767225600000,
    quality: 'good',
    values: { voltage_l1: 221.4, energy_import: 1532.25 },
  },
  { seq: 42, deviceId: 'meter-2', ts: 1767225600001, quality: 'uncertain', values: { v: -0 } },
];

describe('encodeBatch', () => {
  it('splices stored reading JSON into exactly the text JSON.stringify of the batch gives', () => {
    const json = readings.map((r) => JSON.stringify(r));
    // One chunk of two readings, and the same readings as two chunks (two records).
    const text = encodeBatch('edge-1', stats, {
      firstSeq: 41,
      lastSeq: 42,
      count: 2,
      chunks: [Buffer.from(json.join('\n'))],
    }).toString();
    const split = encodeBatch('edge-1', stats, {
      firstSeq: 41,
      lastSeq: 42,
      count: 2,
      chunks: json.map((j) => Buffer.from(j)),
    }).toString();
    expect(split).toBe(text);
    const batch = {
      edgeId: 'edge-1',
      epoch: stats.epoch,
      firstSeq: 41,
      lastSeq: 42,
      dropped: 7,
      droppedUpTo: 12,
      readings,
    };
    expect(text).toBe(JSON.stringify(batch));
    expect(telemetryBatchSchema.parse(JSON.parse(text))).toEqual(JSON.parse(JSON.stringify(batch)));
  });

  it('refuses an empty run', () => {
    expect(() =>
      encodeBatch('edge-1', stats, { firstSeq: 0, lastSeq: 0, count: 0, chunks: [] }),
    ).toThrow('at least one reading');
  });
});
