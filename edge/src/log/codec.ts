import type { Reading } from '@gridlink/shared';
import type { NewReading } from './types.js';

/**
 * Key layout in the store: readings under `r` + 8-byte big-endian seq, so LevelDB's bytewise
 * order is numeric order; one meta record under `m`. Both sort apart by their first byte.
 */
const READING_PREFIX = 0x72; // 'r'
export const KEY_BYTES = 9;
export const META_KEY = Buffer.from('m');

export function seqKey(seq: number): Buffer {
  const key = Buffer.allocUnsafe(KEY_BYTES);
  key[0] = READING_PREFIX;
  // Two 32-bit halves: seqs are safe integers, and this spares a BigInt per key.
  key.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), 1);
  key.writeUInt32BE(seq >>> 0, 5);
  return key;
}

/** A reading is stored as its wire JSON, so stored bytes are close to bytes on the wire. */
export function encodeReading(reading: Reading): string {
  return encodeNewReading(reading, reading.seq);
}

/**
 * A new reading as stored under `seq`: its wire JSON with the log's seq, the keys always in the
 * wire's order (seq, deviceId, ts, quality, values), which the central's fast path reads
 * (docs/WIRE.md), whatever order the reading was built in. Any other key is left out, as the
 * central's schema would strip it.
 */
export function encodeNewReading(reading: NewReading, seq: number): string {
  return JSON.stringify({
    seq,
    deviceId: reading.deviceId,
    ts: reading.ts,
    quality: reading.quality,
    values: reading.values,
  });
}

export function decodeReading(value: string): Reading {
  return JSON.parse(value) as Reading;
}

/**
 * The meta record, rewritten in the same atomic batch as every change to the readings. Version 2
 * marks a store whose records may hold several readings (records.ts); a version 1 store (one
 * reading per record) opens as it is and is marked 2 by its next commit, so an older edge
 * refuses it instead of misreading it.
 */
export interface LogMeta {
  version: 2;
  epoch: string;
  lastSeq: number;
  ackedUpTo: number;
  dropped: number;
  droppedUpTo: number;
  bytes: number;
}

export function newMeta(epoch: string): LogMeta {
  return { version: 2, epoch, lastSeq: 0, ackedUpTo: 0, dropped: 0, droppedUpTo: 0, bytes: 0 };
}

export function encodeMeta(meta: LogMeta): string {
  return JSON.stringify(meta);
}

export function decodeMeta(value: string): LogMeta | undefined {
  const meta = JSON.parse(value) as Omit<Partial<LogMeta>, 'version'> & { version?: number };
  if ((meta.version !== 1 && meta.version !== 2) || typeof meta.epoch !== 'string')
    return undefined;
  return { ...(meta as LogMeta), version: 2 };
}

/** Pending readings occupy (floor, lastSeq]: everything at or below floor is acked or dropped. */
export function pendingFloor(meta: LogMeta): number {
  return Math.max(meta.ackedUpTo, meta.droppedUpTo);
}
