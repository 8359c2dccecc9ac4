/**
 * The bytes of the ranges the log handed out to be sent, so that acknowledging exactly those
 * ranges needs no second read of their values. A seq's value never changes while it exists, so a
 * recorded size stays true; an ack not tiled by recorded ranges is read from the store instead.
 */
export class ReadSizes {
  readonly #byFirst = new Map<number, { lastSeq: number; bytes: number }>();
  readonly #limit: number;

  constructor(limit = 4096) {
    this.#limit = limit;
  }

  record(firstSeq: number, lastSeq: number, bytes: number): void {
    if (this.#byFirst.size >= this.#limit && !this.#byFirst.has(firstSeq)) {
      const oldest = this.#byFirst.keys().next().value;
      if (oldest !== undefined) this.#byFirst.delete(oldest);
    }
    this.#byFirst.set(firstSeq, { lastSeq, bytes });
  }

  /** The bytes of seqs from..upTo when recorded ranges cover them exactly, else undefined. */
  bytesOf(from: number, upTo: number): number | undefined {
    let bytes = 0;
    for (let seq = from; seq <= upTo; ) {
      const range = this.#byFirst.get(seq);
      if (!range || range.lastSeq > upTo) return undefined;
      bytes += range.bytes;
      seq = range.lastSeq + 1;
    }
    return bytes;
  }

  /** Drops what ends at or below `seq` (acknowledged or dropped: gone from the store). */
  forgetUpTo(seq: number): void {
    for (const [first, range] of this.#byFirst)
      if (range.lastSeq <= seq) this.#byFirst.delete(first);
  }
}
