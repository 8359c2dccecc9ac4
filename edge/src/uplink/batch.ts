import type { EncodedReadings, ReadingLogStats } from '../log/index.js';

/**
 * Bytes a batch adds around its readings: the envelope (edgeId and epoch at most 64 characters
 * each, four numbers) and one comma per reading. The log's read limit is maxBytes minus this.
 */
export function envelopeReserve(maxReadings: number): number {
  return 256 + maxReadings;
}

/**
 * The telemetry batch payload for consecutive pending readings, with the log's drop counters at
 * send time. The readings are spliced in as the log stored them (each one's wire JSON), so a
 * batch costs no parse and no re-encode of its readings: the same text `JSON.stringify` of a
 * TelemetryBatch would give (the test checks it).
 */
export function encodeBatch(edgeId: string, stats: ReadingLogStats, run: EncodedReadings): string {
  if (run.count < 1) throw new Error('a batch needs at least one reading');
  return (
    `{"edgeId":${JSON.stringify(edgeId)},"epoch":${JSON.stringify(stats.epoch)},` +
    `"firstSeq":${run.firstSeq},"lastSeq":${run.lastSeq},"dropped":${stats.dropped},` +
    `"droppedUpTo":${stats.droppedUpTo},"readings":[${run.json.join(',')}]}`
  );
}
