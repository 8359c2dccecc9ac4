import {
  type OpenRecord,
  recordCount,
  recordEntryBytes,
  type TakenReadings,
  takeReadings,
} from './records.js';

/**
 * The newest committed records of the log, as stored (their bytes, and where each reading
 * begins), so the uplink, which reads right behind the appends, takes them from memory instead of
 * a LevelDB iterator. Seqs in the cache are contiguous; it holds at most `maxBytes` of entries
 * (keys and values, as the log's bound counts them) and evicts whole records, oldest first. The
 * bytes live outside V8's heap, so the cache adds nothing for the garbage collector to copy. A
 * read that starts below the cache goes to the store.
 *
 * Small records (an agent polling many devices commits a few readings at a time) are copied into
 * a shared chunk of CHUNK_BYTES instead of each keeping its own Buffer, offsets and object: per
 * reading that overhead was larger than the reading (a 1,000-device agent peaked 1.5-5.7 MiB higher in paired runs).
 */
/** Records below this are copied into the open chunk. */
export const SMALL_RECORD_BYTES = 2 * 1024;
export const CHUNK_BYTES = 16 * 1024;

export class TailCache {
  readonly #maxBytes: number;
  /** A chunk's size: at most an eighth of the cache, so evicting one never empties it. */
  readonly #chunkBytes: number;
  /**
   * The chunk still taking small records, and its buffer. When set it is the newest cached
   * record: any other append, an eviction of it, or a clear unsets it.
   */
  #open: { record: OpenRecord; buffer: Buffer } | undefined;
  #records: OpenRecord[] = [];
  /** Index of the oldest record still cached (evicted ones are compacted lazily). */
  #head = 0;
  /** The seq after the newest cached reading. */
  #nextSeq = 0;
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
    this.#chunkBytes = Math.min(CHUNK_BYTES, Math.floor(maxBytes / 8));
  }

  /** Records cached. */
  get count(): number {
    return this.#records.length - this.#head;
  }

  /**
   * Adds a committed record. One that does not continue the cache replaces it; one larger than
   * the cache leaves it empty.
   */
  append(record: OpenRecord): void {
    if (this.#maxBytes <= 0) return;
    if (this.count > 0 && record.first !== this.#nextSeq) this.clear();
    if (!this.#addToChunk(record)) this.#records.push(this.#newChunk(record) ?? record);
    this.#bytes += recordEntryBytes(record);
    this.#nextSeq = record.first + recordCount(record);
    while (this.#bytes > this.#maxBytes && this.count > 0) this.#evictOne();
    this.#compact();
  }

  /** Forgets every record whose readings are all <= `seq` (acknowledged or dropped). */
  forgetUpTo(seq: number): void {
    while (this.count > 0) {
      const oldest = this.#records[this.#head] as OpenRecord;
      if (oldest.first + recordCount(oldest) - 1 > seq) break;
      this.#evictOne();
    }
    this.#compact();
  }

  clear(): void {
    this.#open = undefined;
    this.#records = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  /**
   * Readings from `from` on, at most `maxCount`, while their JSON bytes stay within
   * `maxValueBytes` (the first always counts); undefined when `from` is not cached.
   */
  read(from: number, maxCount: number, maxValueBytes: number): TakenReadings | undefined {
    if (this.count === 0 || from >= this.#nextSeq) return undefined;
    let index = this.#head;
    while (index < this.#records.length) {
      const record = this.#records[index] as OpenRecord;
      if (from < record.first) return undefined; // below the cache
      if (from < record.first + recordCount(record)) break;
      index++;
    }
    return takeReadings(this.#records, index, from, from + maxCount - 1, maxValueBytes);
  }

  /** A small record as the start of a new chunk (undefined for a large one: cached as it is). */
  #newChunk(record: OpenRecord): OpenRecord | undefined {
    this.#open = undefined;
    if (record.bytes.length > Math.min(SMALL_RECORD_BYTES, this.#chunkBytes)) return undefined;
    const buffer = Buffer.allocUnsafeSlow(this.#chunkBytes);
    const used = record.bytes.copy(buffer, 0);
    const chunk = {
      first: record.first,
      bytes: buffer.subarray(0, used),
      starts: [...record.starts],
    };
    this.#open = { record: chunk, buffer };
    return chunk;
  }

  /**
   * Appends a small record to the open chunk when it is the newest cached record and has room.
   * Bytes already handed out stay as they were: the chunk only grows past them.
   */
  #addToChunk(record: OpenRecord): boolean {
    const open = this.#open;
    if (!open) return false;
    const chunk = open.record;
    const at = chunk.bytes.length + 1; // after a newline separator
    if (record.bytes.length > SMALL_RECORD_BYTES || at + record.bytes.length > this.#chunkBytes)
      return false;
    open.buffer[at - 1] = 0x0a;
    record.bytes.copy(open.buffer, at);
    chunk.bytes = open.buffer.subarray(0, at + record.bytes.length);
    chunk.starts.pop(); // the old end marker is where the new record begins
    for (const start of record.starts) chunk.starts.push(start + at);
    return true;
  }

  #evictOne(): void {
    const record = this.#records[this.#head] as OpenRecord;
    if (this.#open?.record === record) this.#open = undefined;
    this.#bytes -= recordEntryBytes(record);
    this.#head++;
  }

  /** Drops evicted slots once they are half the array: amortized O(1) per record. */
  #compact(): void {
    if (this.#head === 0) return;
    if (this.count === 0) {
      this.clear();
      return;
    }
    if (this.#head * 2 < this.#records.length) return;
    this.#records = this.#records.slice(this.#head);
    this.#head = 0;
  }
}
