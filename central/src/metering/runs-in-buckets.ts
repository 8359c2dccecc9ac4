import { hourStartsIn } from './spread-interval.js';

/** A bucket [start, end) (ms) and its Wh so far. */
export interface WhBucket {
  start: number;
  end: number;
  wh: number;
}

/** A run: every UTC hour in [start, end) (ms) has `whPerHour`. */
export interface HourRun {
  start: number;
  end: number;
  whPerHour: number;
}

/**
 * Adds each run's energy inside [from, to) to the buckets (contiguous, oldest first) by overlap:
 * a run adds its Wh per hour × the hour starts it shares with a bucket, an O(1) step per bucket it
 * touches, and it touches only buckets inside the range. Work: O(runs × log buckets + the
 * (run, bucket) pairs that overlap), never the length of a run.
 */
export function addRunsToBuckets(
  buckets: WhBucket[],
  runs: readonly HourRun[],
  from: number,
  to: number,
): void {
  for (const run of runs) {
    const lo = Math.max(run.start, from);
    const hi = Math.min(run.end, to);
    if (lo >= hi) continue;
    let i = firstEndingAfter(buckets, lo);
    for (; i < buckets.length; i++) {
      const b = buckets[i] as WhBucket;
      if (b.start >= hi) break;
      b.wh += run.whPerHour * hourStartsIn(Math.max(lo, b.start), Math.min(hi, b.end));
    }
  }
}

/** Index of the first bucket whose end is after `at` (binary search). */
function firstEndingAfter(buckets: readonly WhBucket[], at: number): number {
  let lo = 0;
  let hi = buckets.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((buckets[mid] as WhBucket).end <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
