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

export function splitRecord(record: string): string[] {
  return record.split(RECORD_SEPARATOR);
}

/** A stored record opened: its first seq, its readings' values and their entry sizes. */
export interface OpenRecord {
  first: number;
  values: string[];
  sizes: number[];
}

export function openRecord(record: string): OpenRecord {
  const values = splitRecord(record);
  const sizes: number[] = new Array(values.length);
  entrySizes(values, 0, values.length, record, sizes);
  return { first: seqOf(values[0] as string), values, sizes };
}

const SEQ_PREFIX = /^\{"seq":(\d+)[,}]/;

/** The seq of a stored reading: read off its first key, or parsed when it is not first. */
export function seqOf(value: string): number {
  const m = SEQ_PREFIX.exec(value);
  return m ? Number(m[1]) : decodeReading(value).seq;
}

/**
 * What each stored reading counts against the log's byte bound: its value bytes plus a key's, as
 * if it had a key of its own (the bound means what it did in the first layout), written to
 * `sizes[start..end)`. When the record is ASCII, which one byte count of it tells, a value's
 * bytes are its length: no value is measured on its own.
 */
export function entrySizes(
  values: readonly string[],
  start: number,
  end: number,
  record: string,
  sizes: number[],
): void {
  const ascii = Buffer.byteLength(record) === record.length;
  for (let i = start; i < end; i++) {
    const value = values[i] as string;
    sizes[i] = KEY_BYTES + (ascii ? value.length : Buffer.byteLength(value));
  }
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
