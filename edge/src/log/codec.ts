import type { Reading } from '@gridlink/shared';

/**
 * Key layout in the store: readings under `r` + 8-byte big-endian seq, so LevelDB's bytewise
 * order is numeric order; one meta record under `m`. Both sort apart by their first byte.
 */
const READING_PREFIX = 0x72; // 'r'
export const KEY_BYTES = 9;
export const META_KEY = Buffer.from('m');

export function seqKey(seq: number): Buffer {
  const key = Buffer.alloc(KEY_BYTES);
  key[0] = READING_PREFIX;
  key.writeBigUInt64BE(BigInt(seq), 1);
  return key;
}

/** A reading is stored as its wire JSON, so stored bytes are close to bytes on the wire. */
export function encodeReading(reading: Reading): string {
  return JSON.stringify(reading);
}

export function decodeReading(value: string): Reading {
  return JSON.parse(value) as Reading;
}

/** What one stored reading counts against `maxBytes`: key plus encoded value. */
export function entryBytes(value: string): number {
  return KEY_BYTES + Buffer.byteLength(value);
}

/** The meta record, rewritten in the same atomic batch as every change to the readings. */
export interface LogMeta {
  version: 1;
  epoch: string;
  lastSeq: number;
  ackedUpTo: number;
  dropped: number;
  droppedUpTo: number;
  bytes: number;
}

export function newMeta(epoch: string): LogMeta {
  return { version: 1, epoch, lastSeq: 0, ackedUpTo: 0, dropped: 0, droppedUpTo: 0, bytes: 0 };
}

export function encodeMeta(meta: LogMeta): string {
  return JSON.stringify(meta);
}

export function decodeMeta(value: string): LogMeta | undefined {
  const meta = JSON.parse(value) as Partial<LogMeta>;
  return meta.version === 1 && typeof meta.epoch === 'string' ? (meta as LogMeta) : undefined;
}

/** Pending readings occupy (floor, lastSeq]: everything at or below floor is acked or dropped. */
export function pendingFloor(meta: LogMeta): number {
  return Math.max(meta.ackedUpTo, meta.droppedUpTo);
}
