import { decodeReading, KEY_BYTES } from './codec.js';

/**
 * How readings lie in the store (docs/STORE-AND-FORWARD.md, "The log"): one record per group
 * commit, under the key of its first seq, holding consecutive readings' JSON separated by
 * newlines (JSON text never holds a raw newline). One LevelDB entry per poll cycle instead of one
 * per reading: an append costs one key and one put, an ack deletes a few entries. A record of a
 * single reading is a store of the first layout, which therefore opens as it is.
 */
export const RECORD_SEPARATOR = '\n';

/**
 * The most readings, and about the most bytes, one record holds: a large append is split, so
 * that a read starting inside a record decodes a bounded amount of text, and a record's string
 * stays below V8's large-object size (128 KiB). In the edge-poll bench's 1,000-device agent (one
 * append of 1,000 readings a second) peak RSS was 83.0-85.3 MiB with 64 KiB records, 84.7-91.9
 * with 256 KiB and 85.9-86.9 with one reading per record (three runs each, one-off, slow VM).
 */
export const RECORD_MAX_READINGS = 1000;
export const RECORD_MAX_BYTES = 64 * 1024;

/**
 * A group commit's values cut into records: [index of the first, end) pairs, at most
 * RECORD_MAX_READINGS each, a new one started once one holds RECORD_MAX_BYTES characters.
 */
export function recordSpans(values: readonly string[]): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let start = 0;
  let chars = 0;
  for (let i = 0; i < values.length; i++) {
    if (i - start >= RECORD_MAX_READINGS || (i > start && chars >= RECORD_MAX_BYTES)) {
      spans.push([start, i]);
      start = i;
      chars = 0;
    }
    chars += (values[i] as string).length;
  }
  if (values.length > start) spans.push([start, values.length]);
  return spans;
}

export function joinRecord(values: readonly string[], start: number, end: number): string {
  return end - start === 1
    ? (values[start] as string)
    : values.slice(start, end).join(RECORD_SEPARATOR);
}

const NEWLINE = 0x0a;

/**
 * A record as bytes, opened: its first seq, its readings' JSON as UTF-8, and where each reading
 * begins. Reading i is `bytes[starts[i] .. starts[i + 1] - 1)`; `starts` ends with
 * `bytes.length + 1`, as if a separator followed the last reading. Readings stay bytes from the
 * store to the wire: the uplink splices them into a batch without decoding them to strings.
 */
export interface OpenRecord {
  first: number;
  bytes: Buffer;
  starts: number[];
}

/** Readings in a record. */
export function recordCount(record: OpenRecord): number {
  return record.starts.length - 1;
}

/** The JSON bytes of reading `i` of a record. */
export function lineBytes(record: OpenRecord, i: number): number {
  return (record.starts[i + 1] as number) - 1 - (record.starts[i] as number);
}

/** The JSON of reading `i` of a record. */
export function recordLine(record: OpenRecord, i: number): string {
  return record.bytes.toString('utf8', record.starts[i], (record.starts[i + 1] as number) - 1);
}

/**
 * What a reading counts against the log's byte bound: its value bytes plus a key's, as if it had
 * a key of its own (the bound means what it did in the first layout).
 */
export function entryBytes(record: OpenRecord, i: number): number {
  return KEY_BYTES + lineBytes(record, i);
}

/** Entry bytes of a whole record. */
export function recordEntryBytes(record: OpenRecord): number {
  const n = recordCount(record);
  return (record.starts[n] as number) - n + n * KEY_BYTES;
}

/**
 * Values `[start, end)` of a group commit as one record under seq `first`: one UTF-8 encoding of
 * the joined text. When the record is ASCII, which one byte count of it tells, each value's bytes
 * are its length: no value is measured on its own.
 */
export function encodeRecord(
  values: readonly string[],
  start: number,
  end: number,
  first: number,
): OpenRecord {
  const text = joinRecord(values, start, end);
  const bytes = Buffer.from(text);
  const ascii = bytes.length === text.length;
  const starts: number[] = new Array(end - start + 1);
  let at = 0;
  for (let i = start; i < end; i++) {
    starts[i - start] = at;
    const value = values[i] as string;
    at += (ascii ? value.length : Buffer.byteLength(value)) + 1;
  }
  starts[end - start] = at;
  return { first, bytes, starts };
}

/** A record read from the store: where its readings begin, and the seq of the first. */
export function openRecord(bytes: Buffer): OpenRecord {
  const starts = [0];
  for (let i = bytes.indexOf(NEWLINE); i !== -1; i = bytes.indexOf(NEWLINE, i + 1))
    starts.push(i + 1);
  starts.push(bytes.length + 1);
  return { first: seqOf(bytes), bytes, starts };
}

const SEQ_PREFIX = /^\{"seq":(\d+)[,}]/;

/** The seq of a record's first reading: read off its first key, or parsed when it is not first. */
export function seqOf(record: Buffer): number {
  const m = SEQ_PREFIX.exec(record.toString('latin1', 0, 32));
  if (m) return Number(m[1]);
  const end = record.indexOf(NEWLINE);
  return decodeReading(record.toString('utf8', 0, end === -1 ? record.length : end)).seq;
}

/** The readings' JSON in newline-separated chunks, one string each (tests, decoding). */
export function readingLines(chunks: readonly Buffer[]): string[] {
  return chunks.flatMap((chunk) => chunk.toString('utf8').split(RECORD_SEPARATOR));
}

/** What `takeReadings` hands out: consecutive readings as chunks of records' bytes. */
export interface TakenReadings {
  firstSeq: number;
  count: number;
  /** Newline-separated readings, each chunk a view into one record: nothing copied. */
  chunks: Buffer[];
  /** Entry bytes (keys and values) of the readings taken, as the log's bound counts them. */
  entryBytes: number;
}

/**
 * Readings of seq `from` through `to` out of consecutive records (from `records[index]` on), while
 * their JSON bytes stay within `maxValueBytes` (the first always counts). A record may start
 * below `from` (its head acknowledged or dropped); seqs come from the records, never from `from`,
 * since a drop may have removed the oldest meanwhile.
 */
export function takeReadings(
  records: readonly OpenRecord[],
  index: number,
  from: number,
  to: number,
  maxValueBytes: number,
): TakenReadings {
  const taken: TakenReadings = { firstSeq: 0, count: 0, chunks: [], entryBytes: 0 };
  let valueBytes = 0;
  for (let r = index; r < records.length; r++) {
    const record = records[r] as OpenRecord;
    const n = recordCount(record);
    const start = Math.max(0, from - record.first);
    let i = start;
    let full = false;
    for (; i < n; i++) {
      const size = lineBytes(record, i);
      full = record.first + i > to || (taken.count > 0 && valueBytes + size > maxValueBytes);
      if (full) break;
      if (taken.count === 0) taken.firstSeq = record.first + i;
      taken.count++;
      valueBytes += size;
      taken.entryBytes += KEY_BYTES + size;
    }
    if (i > start)
      taken.chunks.push(
        record.bytes.subarray(record.starts[start], (record.starts[i] as number) - 1),
      );
    if (full) break;
  }
  return taken;
}

/**
 * Which records to delete once every seq <= `upTo` is gone (acknowledged or dropped): given the
 * first seqs of the records that start at or below `upTo + 1`, in order, and the log's last seq,
 * all whose readings end at or below `upTo`. A record is known to end where the next starts, the
 * last one at `lastSeq`.
 */
export function recordsThrough(starts: readonly number[], upTo: number, lastSeq: number): number[] {
  const gone: number[] = [];
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i] as number;
    if (start > upTo) break;
    const next = starts[i + 1];
    const end = next === undefined ? lastSeq : next - 1;
    if (end <= upTo) gone.push(start);
  }
  return gone;
}
