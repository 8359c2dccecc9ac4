/**
 * Serial-line timing, pure (Modbus over Serial Line v1.02 §2.5.1 and §2.5.1.1).
 *
 * An RTU character is 11 bits on the wire: 1 start, 8 data, 1 parity (or a second stop bit when
 * there is no parity), 1 stop (§2.5.1). Frames are separated by at least 3.5 character times of
 * silence; a gap longer than 1.5 character times inside a frame breaks it. Above 19200 baud the
 * spec fixes the timers at 750 µs (t1.5) and 1.750 ms (t3.5) (§2.5.1.1, implementation note).
 */

export const RTU_BITS_PER_CHARACTER = 11;

/** Time one character occupies the line, ms. */
export function characterTimeMs(baudRate: number): number {
  return (RTU_BITS_PER_CHARACTER * 1000) / baudRate;
}

/** Time `bytes` characters occupy the line, ms. */
export function wireTimeMs(bytes: number, baudRate: number): number {
  return bytes * characterTimeMs(baudRate);
}

/** t3.5: the silence that ends a frame, ms. */
export function interFrameSilenceMs(baudRate: number): number {
  return baudRate > 19200 ? 1.75 : 3.5 * characterTimeMs(baudRate);
}

/** t1.5: the longest gap allowed between characters of one frame, ms. */
export function interCharacterTimeoutMs(baudRate: number): number {
  return baudRate > 19200 ? 0.75 : 1.5 * characterTimeMs(baudRate);
}

/**
 * One half-duplex RS-485 line as a timeline: every frame, in either direction, occupies the line
 * for its wire time, and nothing overlaps. Times are ms on any monotonic scale the caller uses.
 */
export class SerialLineTimeline {
  private busyUntilMs = Number.NEGATIVE_INFINITY;
  private busyTotalMs = 0;
  private firstMs: number | undefined;

  constructor(readonly baudRate: number) {
    if (!(baudRate > 0)) throw new RangeError('baudRate must be positive');
  }

  /**
   * Puts `bytes` characters on the line no earlier than `earliestMs`, after whatever is already
   * on it. Returns when the first character starts and the last one ends.
   */
  occupy(bytes: number, earliestMs: number): { startMs: number; endMs: number } {
    this.firstMs ??= earliestMs;
    const startMs = Math.max(earliestMs, this.busyUntilMs);
    const endMs = startMs + wireTimeMs(bytes, this.baudRate);
    this.busyUntilMs = endMs;
    this.busyTotalMs += endMs - startMs;
    return { startMs, endMs };
  }

  /** When the last character put on the line ends. */
  get busyUntil(): number {
    return this.busyUntilMs;
  }

  /** Total time characters occupied the line, ms. */
  get busyMs(): number {
    return this.busyTotalMs;
  }

  /** Fraction 0..1 of the time since the first frame that the line was busy, up to `nowMs`. */
  utilization(nowMs: number): number {
    if (this.firstMs === undefined) return 0;
    const elapsed = Math.max(nowMs, this.busyUntilMs) - this.firstMs;
    return elapsed > 0 ? Math.min(1, this.busyTotalMs / elapsed) : 0;
  }
}
