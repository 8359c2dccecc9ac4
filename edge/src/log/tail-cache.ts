/**
 * The newest committed readings of the log, as stored (value and entry bytes), so the uplink,
 * which reads right behind the appends, takes them from memory instead of a LevelDB iterator.
 * Seqs in the cache are contiguous; it holds at most `maxBytes` of entries and evicts the oldest.
 * A read that starts below the cache goes to the store.
 */
export class TailCache {
  readonly #maxBytes: number;
  #values: string[] = [];
  #sizes: number[] = [];
  /** Index in the arrays of the oldest entry still cached (evicted ones are compacted lazily). */
  #head = 0;
  /** Seq of `#values[#head]`. */
  #firstSeq = 0;
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get count(): number {
    return this.#values.length - this.#head;
  }

  /**
   * Adds committed readings `firstSeq…` (their values and entry bytes). A batch that does not
   * continue the cache replaces it; so does one larger than the cache.
   */
  append(firstSeq: number, values: readonly string[], sizes: readonly number[]): void {
    if (this.#maxBytes <= 0) return;
    if (this.count > 0 && firstSeq !== this.#firstSeq + this.count) this.clear();
    if (this.count === 0) this.#firstSeq = firstSeq;
    for (let i = 0; i < values.length; i++) {
      this.#values.push(values[i] as string);
      this.#sizes.push(sizes[i] as number);
      this.#bytes += sizes[i] as number;
    }
    while (this.#bytes > this.#maxBytes && this.count > 0) this.#evictOne();
    this.#compact();
  }

  /** Forgets every seq <= `seq` (acknowledged or dropped). */
  forgetUpTo(seq: number): void {
    while (this.count > 0 && this.#firstSeq <= seq) this.#evictOne();
    this.#compact();
  }

  clear(): void {
    this.#values = [];
    this.#sizes = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  /**
   * Up to `maxCount` values from `from` on, while their value bytes (entry bytes minus the key)
   * stay within `maxValueBytes` (the first always counts); undefined when `from` is not cached.
   */
  read(
    from: number,
    maxCount: number,
    maxValueBytes: number,
    keyBytes: number,
  ): { values: string[]; entryBytes: number } | undefined {
    const offset = from - this.#firstSeq;
    if (this.count === 0 || offset < 0 || offset >= this.count) return undefined;
    const start = this.#head + offset;
    const end = Math.min(this.#values.length, start + maxCount);
    let valueBytes = 0;
    let entryBytes = 0;
    let i = start;
    for (; i < end; i++) {
      const size = this.#sizes[i] as number;
      if (i > start && valueBytes + size - keyBytes > maxValueBytes) break;
      valueBytes += size - keyBytes;
      entryBytes += size;
    }
    return { values: this.#values.slice(start, i), entryBytes };
  }

  #evictOne(): void {
    this.#bytes -= this.#sizes[this.#head] as number;
    this.#head++;
    this.#firstSeq++;
  }

  /** Drops evicted slots once they are half the arrays: amortized O(1) per entry. */
  #compact(): void {
    if (this.#head === 0) return;
    if (this.count === 0) {
      this.clear();
      return;
    }
    if (this.#head * 2 < this.#values.length) return;
    this.#values = this.#values.slice(this.#head);
    this.#sizes = this.#sizes.slice(this.#head);
    this.#head = 0;
  }
}
