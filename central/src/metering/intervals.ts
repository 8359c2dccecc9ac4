import { allocateLargestRemainder } from '../billing/decimal.js';

export const HOUR_MS = 3_600_000;

/** One register sample: an instant and the cumulative energy in Wh. */
export interface RegisterSample {
  ts: number;
  wh: number;
}

export interface RegisterStep {
  /** Energy per UTC hour start (ms) that this stretch of samples adds. */
  hours: Map<number, number>;
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
 * Pure: `previous` is the last sample of the previous run (or undefined for a new meter).
 */
export function registerToHourly(
  previous: RegisterSample | undefined,
  samples: readonly RegisterSample[],
): RegisterStep {
  const hours = new Map<number, number>();
  const resets: RegisterStep['resets'] = [];
  let prev = previous;
  for (const s of samples) {
    if (prev && s.ts < prev.ts) continue; // out of order: the register total covers it later
    if (prev) {
      const delta = s.wh - prev.wh;
      if (delta < 0) resets.push({ ts: s.ts, previousWh: prev.wh, newWh: s.wh });
      else if (delta > 0) spread(hours, prev.ts, s.ts, delta);
    }
    prev = s;
  }
  return { hours, resets, last: prev };
}

function spread(hours: Map<number, number>, from: number, to: number, wh: number): void {
  const add = (hour: number, v: number) => {
    if (v !== 0) hours.set(hour, (hours.get(hour) ?? 0) + v);
  };
  const first = Math.floor(from / HOUR_MS) * HOUR_MS;
  // [from, to) ends just before `to`: a sample at 00:00 closes the previous hour, not the next.
  const lastHour = Math.floor((Math.max(to, from + 1) - 1) / HOUR_MS) * HOUR_MS;
  if (first === lastHour) {
    add(first, wh);
    return;
  }
  const starts: number[] = [];
  const weights: bigint[] = [];
  for (let h = first; h <= lastHour; h += HOUR_MS) {
    starts.push(h);
    weights.push(BigInt(Math.min(to, h + HOUR_MS) - Math.max(from, h)));
  }
  const parts = allocateLargestRemainder(BigInt(wh), weights);
  for (const [i, h] of starts.entries()) add(h, Number(parts[i]));
}
