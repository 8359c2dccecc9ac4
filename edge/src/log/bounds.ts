import { type Clock, GridlinkError } from '@gridlink/shared';
import type { ReadingLogBounds } from './types.js';

export interface HeadEntry {
  seq: number;
  /** The reading's own timestamp (epoch ms). */
  ts: number;
  bytes: number;
}

/**
 * Decides, oldest first, which pending readings the bounds drop. Feed the head entries in seq
 * order to `take()` until it returns false; `drops` and `droppedUpTo` then describe the drop.
 */
export class DropPlan {
  readonly #maxBytes: number;
  readonly #oldestTs: number;
  #bytes: number;
  drops = 0;
  freed = 0;
  droppedUpTo = 0;

  constructor(bounds: ReadingLogBounds, clock: Clock, storedBytes: number) {
    this.#maxBytes = bounds.maxBytes ?? Number.POSITIVE_INFINITY;
    this.#oldestTs =
      bounds.maxAgeMs === undefined ? Number.NEGATIVE_INFINITY : clock.now() - bounds.maxAgeMs;
    this.#bytes = storedBytes;
  }

  /** Whether anything might need dropping; when false, no need to look at the head at all. */
  get mayDrop(): boolean {
    return this.#bytes > this.#maxBytes || this.#oldestTs > Number.NEGATIVE_INFINITY;
  }

  /** Drops `entry` (and returns true) when the log is over its byte bound or it is too old. */
  take(entry: HeadEntry): boolean {
    if (this.#bytes <= this.#maxBytes && entry.ts >= this.#oldestTs) return false;
    this.#bytes -= entry.bytes;
    this.freed += entry.bytes;
    this.drops += 1;
    this.droppedUpTo = entry.seq;
    return true;
  }
}

export function validateBounds(bounds: ReadingLogBounds): void {
  for (const key of ['maxBytes', 'maxAgeMs'] as const) {
    const value = bounds[key];
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new GridlinkError(
        'GL_CONFIG_INVALID',
        `log ${key} must be a positive number, got ${value}`,
      );
    }
  }
}
