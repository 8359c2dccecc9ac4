import type { EncodedReadings, ReadingLogStats } from '../log/index.js';

/**
 * Bytes a batch adds around its readings: the envelope (edgeId and epoch at most 64 characters
 * each, four numbers) and one comma per reading. The log's read limit is maxBytes minus this.
 */
export function envelopeReserve(maxReadings: number): number {
  return 256 + maxReadings;
}

const NEWLINE = 0x0a;
const COMMA = 0x2c;

/**
 * The telemetry batch payload for consecutive pending readings, with the log's drop counters at
 * send time, as UTF-8 bytes. The readings are spliced in as the log stored them (each one's wire
 * JSON, newline-separated), so a batch costs no parse, no re-encode and no string of its
 * readings: the chunks are copied once into the payload and their separators become commas.
 * The result is the text `JSON.stringify` of a TelemetryBatch would give (the test checks it).
 */
export function encodeBatch(edgeId: string, stats: ReadingLogStats, run: EncodedReadings): Buffer {
  if (run.count < 1) throw new Error('a batch needs at least one reading');
  const head = Buffer.from(
    `{"edgeId":${JSON.stringify(edgeId)},"epoch":${JSON.stringify(stats.epoch)},` +
      `"firstSeq":${run.firstSeq},"lastSeq":${run.lastSeq},"dropped":${stats.dropped},` +
      `"droppedUpTo":${stats.droppedUpTo},"readings":[`,
  );
  let size = head.length + run.chunks.length - 1 + 2;
  for (const chunk of run.chunks) size += chunk.length;
  const out = Buffer.allocUnsafe(size);
  let at = head.copy(out, 0);
  const start = at;
  for (const [i, chunk] of run.chunks.entries()) {
    if (i > 0) out[at++] = NEWLINE;
    at += chunk.copy(out, at);
  }
  // JSON text holds no raw newline: every one between here and `at` is a separator.
  for (let i = out.indexOf(NEWLINE, start); i !== -1 && i < at; i = out.indexOf(NEWLINE, i + 1))
    out[i] = COMMA;
  out.write(']}', at, 'latin1');
  return out;
}
