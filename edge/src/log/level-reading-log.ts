import { randomUUID } from 'node:crypto';
import { GridlinkError, type Reading } from '@gridlink/shared';
import { ClassicLevel } from 'classic-level';
import { DropPlan, systemClock, validateBounds } from './bounds.js';
import { closedError } from './closed.js';
import {
  decodeMeta,
  decodeReading,
  encodeMeta,
  encodeNewReading,
  entryBytes,
  KEY_BYTES,
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
import { Serial } from './serial.js';
import { TailCache } from './tail-cache.js';
import type {
  AppendResult,
  EncodedReadings,
  NewReading,
  ReadingLog,
  ReadingLogBounds,
  ReadingLogStats,
} from './types.js';

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

type Db = ClassicLevel<Buffer, string>;
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
  const db: Db = new ClassicLevel<Buffer, string>(options.dir, {
    keyEncoding: 'buffer',
    valueEncoding: 'utf8',
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
    let meta = stored === undefined ? undefined : decodeMeta(stored);
    if (stored !== undefined && !meta) {
      throw new GridlinkError('GL_INTERNAL', `reading log ${options.dir} has an unknown format`);
    }
    if (!meta) {
      // First open of this store: a new epoch, made durable before anything can refer to it.
      meta = newMeta(randomUUID());
      await db.put(META_KEY, encodeMeta(meta), { sync: true });
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

  append(readings: readonly NewReading[]): Promise<AppendResult> {
    return this.#mutate(async () => {
      const firstSeq = this.#meta.lastSeq + 1;
      if (readings.length === 0) return { firstSeq, lastSeq: this.#meta.lastSeq };
      const lastSeq = firstSeq + readings.length - 1;
      const values: string[] = new Array(readings.length);
      const sizes: number[] = new Array(readings.length);
      // Readings and the new lastSeq in one atomic batch: a seq is never handed out twice.
      await this.#commit(
        (writes) => {
          let bytes = 0;
          for (let i = 0; i < readings.length; i++) {
            const value = encodeNewReading(readings[i] as NewReading, firstSeq + i);
            const size = entryBytes(value);
            values[i] = value;
            sizes[i] = size;
            bytes += size;
            writes.put(seqKey(firstSeq + i), value);
          }
          return { ...this.#meta, lastSeq, bytes: this.#meta.bytes + bytes };
        },
        () => this.#tail.append(firstSeq, values, sizes),
      );
      await this.#enforceBounds();
      return { firstSeq, lastSeq };
    });
  }

  async read(fromSeq: number, maxCount: number, maxBytes?: number): Promise<Reading[]> {
    const { json } = await this.readEncoded(fromSeq, maxCount, maxBytes);
    return json.map(decodeReading);
  }

  async readEncoded(
    fromSeq: number,
    maxCount: number,
    maxBytes?: number,
  ): Promise<EncodedReadings> {
    if (this.#closed) throw closedError();
    const from = Math.max(fromSeq, pendingFloor(this.#meta) + 1);
    const none = { firstSeq: 0, lastSeq: 0, count: 0, json: [] };
    if (maxCount < 1 || from > this.#meta.lastSeq) return none;
    const lastSeq = Math.min(this.#meta.lastSeq, from + maxCount - 1);
    // The common case: right behind the appends, from memory.
    const cached = this.#tail.read(from, lastSeq - from + 1, maxBytes ?? Infinity, KEY_BYTES);
    if (cached) {
      const count = cached.values.length;
      this.#sent.record(from, from + count - 1, cached.entryBytes);
      return { firstSeq: from, lastSeq: from + count - 1, count, json: cached.values };
    }
    // One native read for the whole range instead of one promise per value, values only (no
    // key buffers). Pending seqs are contiguous, but a drop (log bounds) may remove the oldest
    // ones meanwhile: the first seq comes from the first value read (each carries its seq),
    // never from `from`.
    const values = await this.#db.values({ gte: seqKey(from), lte: seqKey(lastSeq) }).all();
    const first = values[0];
    if (first === undefined) return none;
    const firstSeq = decodeReading(first).seq;
    let count = values.length;
    let valueBytes = 0; // what maxBytes limits: the JSON a batch will carry
    let bytes = 0; // what the log's bound counts: keys and values
    for (let i = 0; i < values.length; i++) {
      const size = Buffer.byteLength(values[i] as string);
      if (maxBytes !== undefined && i > 0 && valueBytes + size > maxBytes) {
        count = i;
        break;
      }
      valueBytes += size;
      bytes += KEY_BYTES + size;
    }
    if (count < values.length) values.length = count;
    // Remembered, so the ack of this range need not read it again.
    this.#sent.record(firstSeq, firstSeq + count - 1, bytes);
    return { firstSeq, lastSeq: firstSeq + count - 1, count, json: values };
  }

  ack(upTo: number): Promise<void> {
    return this.#mutate(async () => {
      const target = Math.min(upTo, this.#meta.lastSeq);
      if (target <= this.#meta.ackedUpTo) return;
      const floor = pendingFloor(this.#meta);
      const bytes = this.#sent.bytesOf(floor + 1, target) ?? (await this.#headBytes(target));
      await this.#commit(
        (writes) => {
          for (let seq = floor + 1; seq <= target; seq++) writes.del(seqKey(seq));
          return { ...this.#meta, ackedUpTo: target, bytes: this.#meta.bytes - bytes };
        },
        () => this.#tail.forgetUpTo(target),
      );
      this.#sent.forgetUpTo(target);
    });
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
      writes.put(META_KEY, encodeMeta(meta));
    } catch (err) {
      await writes.close();
      throw err;
    }
    await writes.write({ sync: this.#o.sync });
    this.#meta = meta;
    committed?.();
  }

  /**
   * The bytes the pending readings <= upTo take, from one native read of their values. Pending
   * seqs are contiguous above the floor, so their keys need not be read.
   */
  async #headBytes(upTo: number): Promise<number> {
    const range = { gt: seqKey(pendingFloor(this.#meta)), lte: seqKey(upTo) };
    let bytes = 0;
    for (const value of await this.#db.values(range).all()) bytes += entryBytes(value);
    return bytes;
  }

  /** Drops the oldest pending readings while over the byte bound or older than the age bound. */
  async #enforceBounds(): Promise<void> {
    const plan = new DropPlan(this.#o, this.#o.clock ?? systemClock, this.#meta.bytes);
    if (!plan.mayDrop) return;
    const keys: Buffer[] = [];
    const range = { gt: seqKey(pendingFloor(this.#meta)), lte: seqKey(this.#meta.lastSeq) };
    for await (const [key, value] of this.#db.iterator(range)) {
      const { seq, ts } = decodeReading(value);
      if (!plan.take({ seq, ts, bytes: entryBytes(value) })) break;
      keys.push(key);
    }
    if (plan.drops === 0) return;
    await this.#commit(
      (writes) => {
        for (const key of keys) writes.del(key);
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
