import { randomUUID } from 'node:crypto';
import { type Reading, systemClock } from '@gridlink/shared';
import { DropPlan, validateBounds } from './bounds.js';
import { closedError } from './closed.js';
import { encodeReading, KEY_BYTES } from './codec.js';
import { RECORD_SEPARATOR } from './records.js';
import type {
  AppendResult,
  EncodedReadings,
  NewReading,
  ReadingLog,
  ReadingLogBounds,
  ReadingLogStats,
} from './types.js';

export interface MemoryReadingLogOptions extends ReadingLogBounds {
  /** Defaults to a random UUID, like a freshly created store. */
  epoch?: string;
}

interface Entry {
  reading: Reading;
  /** Encoded size, counted exactly as the LevelDB log counts it. */
  valueBytes: number;
}

/**
 * A ReadingLog that keeps everything in memory and loses it on close: for tests and for running
 * without a disk. Same semantics as the LevelDB log (one conformance suite runs against both).
 */
export function createMemoryReadingLog(options: MemoryReadingLogOptions = {}): ReadingLog {
  validateBounds(options);
  return new MemoryReadingLog(options);
}

class MemoryReadingLog implements ReadingLog {
  readonly epoch: string;
  readonly #o: MemoryReadingLogOptions;
  /** Pending readings in seq order; `#entries[0]` is the oldest. */
  #entries: Entry[] = [];
  #lastSeq = 0;
  #ackedUpTo = 0;
  #dropped = 0;
  #droppedUpTo = 0;
  #bytes = 0;
  #closed = false;

  constructor(options: MemoryReadingLogOptions) {
    this.#o = options;
    this.epoch = options.epoch ?? randomUUID();
  }

  async append(readings: readonly NewReading[]): Promise<AppendResult> {
    this.#check();
    const firstSeq = this.#lastSeq + 1;
    readings.forEach((r, i) => {
      const reading = structuredClone({ ...r, seq: firstSeq + i });
      const valueBytes = Buffer.byteLength(encodeReading(reading));
      this.#entries.push({ reading, valueBytes });
      this.#bytes += KEY_BYTES + valueBytes;
    });
    this.#lastSeq += readings.length;
    this.#enforceBounds();
    return { firstSeq, lastSeq: this.#lastSeq };
  }

  async read(fromSeq: number, maxCount: number, maxBytes?: number): Promise<Reading[]> {
    this.#check();
    const out: Reading[] = [];
    const head = this.#entries[0];
    if (!head || maxCount < 1) return out;
    let bytes = 0;
    for (let i = Math.max(0, fromSeq - head.reading.seq); i < this.#entries.length; i++) {
      const entry = this.#entries[i] as Entry;
      bytes += entry.valueBytes;
      if (out.length >= maxCount || (maxBytes !== undefined && out.length > 0 && bytes > maxBytes))
        break;
      out.push(structuredClone(entry.reading));
    }
    return out;
  }

  async readEncoded(
    fromSeq: number,
    maxCount: number,
    maxBytes?: number,
  ): Promise<EncodedReadings> {
    const readings = await this.read(fromSeq, maxCount, maxBytes);
    return {
      firstSeq: readings[0]?.seq ?? 0,
      lastSeq: readings.at(-1)?.seq ?? 0,
      count: readings.length,
      chunks: readings.length
        ? [Buffer.from(readings.map(encodeReading).join(RECORD_SEPARATOR))]
        : [],
    };
  }

  async ack(upTo: number): Promise<void> {
    this.#check();
    const target = Math.min(upTo, this.#lastSeq);
    if (target <= this.#ackedUpTo) return;
    while (this.#entries[0] && this.#entries[0].reading.seq <= target) this.#shift();
    this.#ackedUpTo = target;
  }

  stats(): ReadingLogStats {
    return {
      epoch: this.epoch,
      lastSeq: this.#lastSeq,
      ackedUpTo: this.#ackedUpTo,
      pending: this.#entries.length,
      dropped: this.#dropped,
      droppedUpTo: this.#droppedUpTo,
      bytes: this.#bytes,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #check(): void {
    if (this.#closed) throw closedError();
  }

  #shift(): Entry | undefined {
    const entry = this.#entries.shift();
    if (entry) this.#bytes -= KEY_BYTES + entry.valueBytes;
    return entry;
  }

  #enforceBounds(): void {
    const plan = new DropPlan(this.#o, this.#o.clock ?? systemClock, this.#bytes);
    if (!plan.mayDrop) return;
    for (const entry of this.#entries) {
      const { seq, ts } = entry.reading;
      if (!plan.take({ seq, ts, bytes: KEY_BYTES + entry.valueBytes })) break;
    }
    for (let i = 0; i < plan.drops; i++) this.#shift();
    this.#dropped += plan.drops;
    if (plan.drops > 0) this.#droppedUpTo = plan.droppedUpTo;
  }
}
