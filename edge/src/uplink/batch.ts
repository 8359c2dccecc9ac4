import type { Reading, TelemetryBatch } from '@gridlink/shared';
import type { ReadingLogStats } from '../log/index.js';

/**
 * Bytes a batch adds around its readings: the envelope (edgeId and epoch at most 64 characters
 * each, four numbers) and one comma per reading. The log's read limit is maxBytes minus this.
 */
export function envelopeReserve(maxReadings: number): number {
  return 256 + maxReadings;
}

/** A telemetry batch for consecutive pending readings, with the log's drop counters at send time. */
export function buildBatch(
  edgeId: string,
  stats: ReadingLogStats,
  readings: Reading[],
): TelemetryBatch {
  const first = readings[0];
  const last = readings.at(-1);
  if (!first || !last) throw new Error('a batch needs at least one reading');
  return {
    edgeId,
    epoch: stats.epoch,
    firstSeq: first.seq,
    lastSeq: last.seq,
    dropped: stats.dropped,
    droppedUpTo: stats.droppedUpTo,
    readings,
  };
}
