import { randomUUID } from 'node:crypto';
import { GridlinkError, type Reading, systemClock } from '@gridlink/shared';
import { ClassicLevel } from 'classic-level';
import { DropPlan, validateBounds } from './bounds.js';
import { closedError } from './closed.js';
import {
  decodeMeta,
  decodeReading,
  encodeMeta,
  encodeNewReading,
  type LogMeta,
  META_KEY,
  newMeta,
  pendingFloor,
  seqKey,
} from './codec.js';
import {
  LOG_CACHE_BYTES,
  LOG_TAIL_CACHE_BYTES,
  LOG_WRITE_BUFFER_BYTES,
} from './memory-defaults.js';
import { ReadSizes } from './read-sizes.js';
import {
  encodeRecord,
  entryBytes,
  type OpenRecord,
  openRecord,
  readingLines,
  recordCount,
  recordEntryBytes,
  recordLine,
  recordSpans,
  recordsThrough,
  seqOf,
  takeReadings,
} from './records.js';
import { Serial } from './serial.js';
import { TailCache } from './tail-cache.js';
import type {
  AppendResult,
  EncodedReadings,
  NewReading,
  ReadingLog,
  ReadingLogBounds,
  ReadingLogStats,
  SideWrites,
} from './types.js';

/** Side keys (SideWrites) live under `s`, apart from the readings (`r`) and the meta (`m`). */
const sideKey = (key: string): Buffer => Buffer.from(`s${key}`, 'utf8');

function addSide(writes: Writes, side: SideWrites): void {
  for (const key of side.del ?? []) writes.del(sideKey(key));
  for (const [key, value] of side.put ?? []) writes.put(sideKey(key), Buffer.from(value, 'utf8'));
}

export interface OpenReadingLogOptions extends ReadingLogBounds {
  /** The LevelDB directory; created when missing. */
  dir: string;
  /**
   * fsync every group commit. false: a process crash loses nothing, a power failure may lose the
   * commits the OS had not yet written back (docs/STORE-AND-FORWARD.md).
   */
  sync: boolean;
  /**
   * LevelDB's block cache and memtable, native memory outside V8's heap. The log is read in key
   * order right behind where it is written, mostly from the memtable or the newest table, so
   * small values cost little; LevelDB's defaults are 8 MiB and 4 MiB.
   */
  cacheBytes?: number;
  writeBufferBytes?: number;
  /**
   * The newest readings kept in memory as stored, so the uplink reads right behind the appends
   * without a LevelDB iterator (0 turns it off). Default 2 MiB.
   */
  tailCacheBytes?: number;
}

type Db = ClassicLevel<Buffer, Buffer>;
/** The writes of one group commit, added straight to a chained batch (no per-op objects). */
type Writes = ReturnType<Db['batch']>;

function isLocked(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.code === 'LEVEL_LOCKED' || e.cause?.code === 'LEVEL_LOCKED';
}

/**
 * Opens (or creates) the crash-safe reading log in `dir`. A directory held by another process
 * or handle fails with GL_LOG_LOCKED (LevelDB allows one opener per store).
 */
export async function openReadingLog(options: OpenReadingLogOptions): Promise<ReadingLog> {
  validateBounds(options);
  const db: Db = new ClassicLevel<Buffer, Buffer>(options.dir, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
    cacheSize: options.cacheBytes ?? LOG_CACHE_BYTES,
    writeBufferSize: options.writeBufferBytes ?? LOG_WRITE_BUFFER_BYTES,
  });
  try {
    await db.open();
  } catch (err) {
    if (isLocked(err)) {
      throw new GridlinkError(
        'GL_LOG_LOCKED',
        `reading log ${options.dir} is held by another opener`,
      );
    }
    throw err;
  }
  try {
    const stored = await db.get(META_KEY);
    let meta = stored === undefined ? undefined : decodeMeta(stored.toString());
    if (stored !== undefined && !meta) {
      throw new GridlinkError('GL_INTERNAL', `reading log ${options.dir} has an unknown format`);
    }
    if (!meta) {
      // First open of this store: a new epoch, made durable before anything can refer to it.
      meta = newMeta(randomUUID());
      await db.put(META_KEY, Buffer.from(encodeMeta(meta)), { sync: true });
    }
    return new LevelReadingLog(db, meta, options);
  } catch (err) {
    await db.close();
    throw err;
  }
}

class LevelReadingLog implements ReadingLog {
  readonly #db: Db;
  readonly #o: OpenReadingLogOptions;
  readonly #serial = new Serial();
  readonly #sent = new ReadSizes();
  readonly #tail: TailCache;
  /** In-memory mirror of the last committed meta record. */
  #meta: LogMeta;
  #closed = false;

  constructor(db: Db, meta: LogMeta, options: OpenReadingLogOptions) {
    this.#db = db;
    this.#meta = meta;
    this.#o = options;
    this.#tail = new TailCache(options.tailCacheBytes ?? LOG_TAIL_CACHE_BYTES);
  }

  get epoch(): string {
    return this.#meta.epoch;
  }

  append(readings: readonly NewReading[], side?: SideWrites): Promise<AppendResult> {
    return this.#mutate(async () => {
      const firstSeq = this.#meta.lastSeq + 1;
      if (readings.length === 0) {
        if (side) await this.#commit((writes) => this.#withSide(writes, side));
        return { firstSeq, lastSeq: this.#meta.lastSeq };
      }
      const lastSeq = firstSeq + readings.length - 1;
      const values: string[] = new Array(readings.length);
      for (let i = 0; i < readings.length; i++)
        values[i] = encodeNewReading(readings[i] as NewReading, firstSeq + i);
      // The readings' strings die here: from now on they are bytes, outside V8's heap.
      const records = recordSpans(values).map(([start, end]) =>
        encodeRecord(values, start, end, firstSeq + start),
      );
      // Readings and the new lastSeq in one atomic batch: a seq is never handed out twice.
      await this.#commit(
        (writes) => {
          let bytes = 0;
          for (const record of records) {
            bytes += recordEntryBytes(record);
            writes.put(seqKey(record.first), record.bytes);
          }
          if (side) addSide(writes, side);
          return { ...this.#meta, lastSeq, bytes: this.#meta.bytes + bytes };
        },
        () => {
          for (const record of records) this.#tail.append(record);
        },
      );
      await this.#enforceBounds();
      return { firstSeq, lastSeq };
    });
  }

  async read(fromSeq: number, maxCount: number, maxBytes?: number): Promise<Reading[]> {
    const { chunks } = await this.readEncoded(fromSeq, maxCount, maxBytes);
    return readingLines(chunks).map(decodeReading);
  }

  async readEncoded(
    fromSeq: number,
    maxCount: number,
    maxBytes?: number,
  ): Promise<EncodedReadings> {
    if (this.#closed) throw closedError();
    const from = Math.max(fromSeq, pendingFloor(this.#meta) + 1);
    const none = { firstSeq: 0, lastSeq: 0, count: 0, chunks: [] };
    if (maxCount < 1 || from > this.#meta.lastSeq) return none;
    const lastSeq = Math.min(this.#meta.lastSeq, from + maxCount - 1);
    const limit = maxBytes ?? Infinity;
    // The common case: right behind the appends, from memory. Otherwise from the store: the
    // records over [from, lastSeq], each read whole by one native call.
    const taken =
      this.#tail.read(from, lastSeq - from + 1, limit) ??
      takeReadings((await this.#records(from, lastSeq)).map(openRecord), 0, from, lastSeq, limit);
    if (taken.count === 0) return none;
    const { firstSeq, count, chunks, entryBytes } = taken;
    // Remembered, so the ack of this range need not read it again.
    this.#sent.record(firstSeq, firstSeq + count - 1, entryBytes);
    return { firstSeq, lastSeq: firstSeq + count - 1, count, chunks };
  }

  ack(upTo: number): Promise<void> {
    return this.#mutate(async () => {
      const target = Math.min(upTo, this.#meta.lastSeq);
      if (target <= this.#meta.ackedUpTo) return;
      const floor = pendingFloor(this.#meta);
      const bytes = this.#sent.bytesOf(floor + 1, target) ?? (await this.#headBytes(target));
      const gone = await this.#recordsThrough(target);
      await this.#commit(
        (writes) => {
          for (const start of gone) writes.del(seqKey(start));
          return { ...this.#meta, ackedUpTo: target, bytes: this.#meta.bytes - bytes };
        },
        () => this.#tail.forgetUpTo(target),
      );
      this.#sent.forgetUpTo(target);
    });
  }

  async sideEntries(prefix: string): Promise<[string, string][]> {
    if (this.#closed) throw closedError();
    const gte = sideKey(prefix);
    const lt = Buffer.concat([gte, Buffer.from([0xff])]); // UTF-8 never holds 0xff
    const out: [string, string][] = [];
    for (const [key, value] of await this.#db.iterator({ gte, lt }).all())
      out.push([key.subarray(1).toString('utf8'), value.toString('utf8')]);
    return out;
  }

  sideWrite(writes: SideWrites): Promise<void> {
    return this.#mutate(() => this.#commit((w) => this.#withSide(w, writes)));
  }

  /** Adds side writes to a batch that changes nothing else: the meta record stays as it is. */
  #withSide(writes: Writes, side: SideWrites): LogMeta {
    addSide(writes, side);
    return this.#meta;
  }

  stats(): ReadingLogStats {
    const m = this.#meta;
    return {
      epoch: m.epoch,
      lastSeq: m.lastSeq,
      ackedUpTo: m.ackedUpTo,
      pending: m.lastSeq - pendingFloor(m),
      dropped: m.dropped,
      droppedUpTo: m.droppedUpTo,
      bytes: m.bytes,
    };
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return this.#serial.run(() => this.#db.close());
  }

  #mutate<T>(task: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(closedError());
    return this.#serial.run(task);
  }

  /**
   * One group commit: `fill` adds its writes to a chained batch (no per-operation objects) and
   * returns the meta record that goes with them; both are written as one atomic batch.
   * `committed` runs in the same tick as the meta mirror changes, so no read sees one without
   * the other.
   */
  async #commit(fill: (writes: Writes) => LogMeta, committed?: () => void): Promise<void> {
    const writes = this.#db.batch();
    let meta: LogMeta;
    try {
      meta = fill(writes);
      writes.put(META_KEY, Buffer.from(encodeMeta(meta)));
    } catch (err) {
      await writes.close();
      throw err;
    }
    await writes.write({ sync: this.#o.sync });
    this.#meta = meta;
    committed?.();
  }

  /** The bytes the pending readings <= upTo take, from one native read of their records. */
  async #headBytes(upTo: number): Promise<number> {
    const from = pendingFloor(this.#meta) + 1;
    let bytes = 0;
    for (const stored of await this.#records(from, upTo)) {
      const record = openRecord(stored);
      for (let i = 0; i < recordCount(record); i++) {
        const seq = record.first + i;
        if (seq >= from && seq <= upTo) bytes += entryBytes(record, i);
      }
    }
    return bytes;
  }

  /**
   * The stored records holding seqs from..to, in order: the one `from` falls in (it may start
   * below, its head acknowledged or dropped) and every one after it up to `to`.
   */
  async #records(from: number, to: number): Promise<Buffer[]> {
    const start = await this.#recordStart(from);
    return this.#db.values({ gte: seqKey(start), lte: seqKey(to) }).all();
  }

  /** The first seq of the record `seq` falls in (`seq` itself when no record starts below). */
  async #recordStart(seq: number): Promise<number> {
    const [head] = await this.#db
      .values({ gte: seqKey(0), lte: seqKey(seq), reverse: true, limit: 1 })
      .all();
    return head === undefined ? seq : Math.min(seq, seqOf(head));
  }

  /** First seqs of the records whose readings all lie at or below `upTo`: gone once it is. */
  async #recordsThrough(upTo: number): Promise<number[]> {
    const keys = await this.#db.keys({ gte: seqKey(0), lte: seqKey(upTo + 1) }).all();
    const starts = keys.map((key) => key.readUInt32BE(1) * 0x1_0000_0000 + key.readUInt32BE(5));
    return recordsThrough(starts, upTo, this.#meta.lastSeq);
  }

  /** Drops the oldest pending readings while over the byte bound or older than the age bound. */
  async #enforceBounds(): Promise<void> {
    const plan = new DropPlan(this.#o, this.#o.clock ?? systemClock, this.#meta.bytes);
    if (!plan.mayDrop) return;
    // Oldest first, through an iterator: usually the first reading already stops the plan.
    const floor = pendingFloor(this.#meta);
    const head = await this.#recordStart(floor + 1);
    const range = { gte: seqKey(head), lte: seqKey(this.#meta.lastSeq) };
    scan: for await (const stored of this.#db.values(range)) {
      const record: OpenRecord = openRecord(stored);
      for (let i = 0; i < recordCount(record); i++) {
        if (record.first + i <= floor) continue;
        const { seq, ts } = decodeReading(recordLine(record, i));
        if (!plan.take({ seq, ts, bytes: entryBytes(record, i) })) break scan;
      }
    }
    if (plan.drops === 0) return;
    const gone = await this.#recordsThrough(plan.droppedUpTo);
    await this.#commit(
      (writes) => {
        for (const start of gone) writes.del(seqKey(start));
        return {
          ...this.#meta,
          dropped: this.#meta.dropped + plan.drops,
          droppedUpTo: plan.droppedUpTo,
          bytes: this.#meta.bytes - plan.freed,
        };
      },
      () => this.#tail.forgetUpTo(plan.droppedUpTo),
    );
    this.#sent.forgetUpTo(plan.droppedUpTo);
  }
}
