import { decimalToRatio, mulRatio, parseDecimal, ratio, roundHalfEven } from '../money/index.js';
import { HOUR_MS } from './spread-interval.js';

/** The value name of an interval amount: kWh consumed since the meter's previous datagram. */
export const ENERGY_INTERVAL = 'energy_interval';

/** mWh per Wh: interval amounts are kept in mWh until a whole Wh can be written to an hour. */
export const MWH_PER_WH = 1000;

/** The largest amount taken (mWh, exact in a double): about 9 × 10⁹ kWh in one datagram. */
const MAX_MWH = BigInt(Number.MAX_SAFE_INTEGER - MWH_PER_WH);

/**
 * kWh text (`'0.1234'`, as jsonb prints a number: plain decimal, no exponent) → mWh, exactly,
 * rounded half to even below 10⁻⁶ kWh (no meter resolves a thousandth of a Wh). Undefined for
 * an amount that is not energy: negative, not a decimal number, or implausibly large.
 */
export function intervalMwh(kwh: string | number | null | undefined): number | undefined {
  if (kwh === null || kwh === undefined) return undefined;
  let mwh: bigint;
  try {
    mwh = roundHalfEven(mulRatio(decimalToRatio(parseDecimal(kwh)), ratio(1_000_000n)));
  } catch {
    return undefined;
  }
  if (mwh < 0n || mwh > MAX_MWH) return undefined;
  return Number(mwh);
}

/**
 * The UTC hour an interval amount belongs to: the hour holding the END of its interval, i.e. the
 * hour containing `ts − 1 ms` (a reading exactly at 01:00 closes the 00:00 hour, as a register
 * reading at midnight closes the previous day).
 */
export function intervalHour(ts: number): number {
  return Math.floor((ts - 1) / HOUR_MS) * HOUR_MS;
}

export interface IntervalSample {
  ts: number;
  mwh: number;
}

export interface IntervalStep {
  /** Whole Wh per UTC hour start (ms) that these samples add. */
  hours: Map<number, number>;
  /** mWh not yet written (0 ≤ carry < 1000): added to the meter's next amount. */
  carryMwh: number;
}

/**
 * Adds interval amounts to their hours in whole Wh, exactly: each amount joins the meter's carry
 * (the sub-Wh remainder left by the amounts before it), its whole Wh go to the amount's hour and
 * the rest stays in the carry. So Σ hours + carry / 1000 = carry before + Σ amounts, always; no
 * float is involved and no fraction is lost or counted twice. The hour a carried fraction finally
 * lands in is the hour of the amount that completes the Wh (at most 1 Wh per meter moves that
 * way). Pure; order of `samples` is the order amounts are taken.
 */
export function intervalToHourly(
  carryMwh: number,
  samples: readonly IntervalSample[],
): IntervalStep {
  const hours = new Map<number, number>();
  let carry = carryMwh;
  for (const s of samples) {
    carry += s.mwh;
    const wh = Math.floor(carry / MWH_PER_WH);
    carry -= wh * MWH_PER_WH;
    if (wh > 0) {
      const h = intervalHour(s.ts);
      hours.set(h, (hours.get(h) ?? 0) + wh);
    }
  }
  return { hours, carryMwh: carry };
}
