/**
 * Follows the packet boundaries of an MQTT byte stream by reading only fixed headers (MQTT 3.1.1
 * §2.2: one byte of type and flags, then the Remaining Length), so a packet's size is known from
 * its first two to five bytes, long before its body arrives. Pure: no I/O, no buffering; a body
 * is skipped by counting. The broker's connection guard feeds it every chunk it reads.
 */

/** The largest Remaining Length four bytes can encode (§2.2.3): 268,435,455. */
export const MAX_REMAINING_LENGTH = 268_435_455;

export type SizeVerdict =
  | { ok: true }
  /** A packet (fixed header included) is larger than the limit; `declared` is its Remaining Length. */
  | { ok: false; reason: 'too_large'; declared: number; packetBytes: number }
  /** A Remaining Length with a fifth continuation byte (§2.2.3 allows at most four). */
  | { ok: false; reason: 'malformed_length' };

export class PacketSizes {
  /** Where the next byte falls: a packet's first byte, its length, or its body. */
  private phase: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private bodyLeft = 0;

  /**
   * Reads `chunk`, the next bytes of the stream, checking every packet whose Remaining Length
   * completes in it against `limit` (bytes of the whole packet, fixed header included). Returns
   * the first violation; after one, the stream is not to be trusted and the scanner not fed again.
   */
  feed(chunk: Uint8Array, limit: number): SizeVerdict {
    let i = 0;
    while (i < chunk.length) {
      if (this.phase === 'body') {
        const take = Math.min(this.bodyLeft, chunk.length - i);
        this.bodyLeft -= take;
        i += take;
        if (this.bodyLeft === 0) this.phase = 'type';
        continue;
      }
      if (this.phase === 'type') {
        // Type and flags are the parser's to judge; only the size is ours.
        this.phase = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        i++;
        continue;
      }
      // §2.2.3: seven bits of value per byte, least significant first; bit 8 = more follows.
      const byte = chunk[i] as number;
      i++;
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return { ok: false, reason: 'malformed_length' };
        continue;
      }
      const packetBytes = 1 + this.lengthBytes + this.length;
      if (packetBytes > limit)
        return { ok: false, reason: 'too_large', declared: this.length, packetBytes };
      this.bodyLeft = this.length;
      this.phase = this.length === 0 ? 'type' : 'body';
    }
    return { ok: true };
  }
}
