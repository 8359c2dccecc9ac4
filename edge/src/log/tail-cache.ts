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
 */
export class TailCache {
  readonly #maxBytes: number;
  #records: OpenRecord[] = [];
  /** Index of the oldest record still cached (evicted ones are compacted lazily). */
  #head = 0;
  /** The seq after the newest cached reading. */
  #nextSeq = 0;
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
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
    this.#records.push(record);
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

  #evictOne(): void {
    this.#bytes -= recordEntryBytes(this.#records[this.#head] as OpenRecord);
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
