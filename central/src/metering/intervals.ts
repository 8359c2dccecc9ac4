import { HOUR_MS, type HourBlock, spreadOverHours } from './spread-interval.js';

export { HOUR_MS };

/**
 * A block of at least this many hours is kept as one run row (`consumption_runs`) instead of an
 * hourly row per hour, so a long gap between two readings costs a row, not a row per hour.
 */
export const RUN_MIN_HOURS = 24;

/** One register sample: an instant and the cumulative energy in Wh. */
export interface RegisterSample {
  ts: number;
  wh: number;
}

export interface RegisterStep {
  /** Energy per UTC hour start (ms) that this stretch of samples adds (blocks shorter than a run). */
  hours: Map<number, number>;
  /** Blocks of at least `RUN_MIN_HOURS` hours of equal energy: one row each. */
  runs: HourBlock[];
  /** Samples where the register went backwards (reset, replacement or tampering). */
  resets: Array<{ ts: number; previousWh: number; newWh: number }>;
  /** The last sample: where the next run continues. */
  last: RegisterSample | undefined;
}

/**
 * Turns cumulative register samples (oldest first) into hourly energy. The energy between two
 * consecutive samples a → b is the register difference, spread over the hours that [a, b) overlaps
 * in proportion to the overlap (largest remainder, so the Wh add up exactly). Missing samples in
 * between therefore lose nothing: the next sample carries the total. A register that goes
 * backwards starts a new segment: no negative energy, and the reset is reported.
 * Work per sample is constant (at most four blocks, a block shorter than a run is at most
 * `RUN_MIN_HOURS` − 1 hours), whatever the time between two samples.
 * Pure: `previous` is the last sample of the previous run (or undefined for a new meter).
 */
export function registerToHourly(
  previous: RegisterSample | undefined,
  samples: readonly RegisterSample[],
): RegisterStep {
  const hours = new Map<number, number>();
  const runs: HourBlock[] = [];
  const resets: RegisterStep['resets'] = [];
  let prev = previous;
  for (const s of samples) {
    if (prev && s.ts < prev.ts) continue; // out of order: the register total covers it later
    if (prev) {
      const delta = s.wh - prev.wh;
      if (delta < 0) resets.push({ ts: s.ts, previousWh: prev.wh, newWh: s.wh });
      else if (delta > 0) {
        for (const block of spreadOverHours(prev.ts, s.ts, delta)) {
          if (block.hours >= RUN_MIN_HOURS) runs.push(block);
          else
            for (let i = 0; i < block.hours; i++) {
              const h = block.start + i * HOUR_MS;
              hours.set(h, (hours.get(h) ?? 0) + block.wh);
            }
        }
      }
    }
    prev = s;
  }
  return { hours, runs, resets, last: prev };
}
