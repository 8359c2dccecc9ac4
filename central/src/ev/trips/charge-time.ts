import type { ChargingCurve } from './curves.js';

/**
 * Charging time per SoC unit (the planner's discretization step), integer ms: unit i goes from
 * SoC i x step to (i+1) x step at the power of its midpoint, min(curve(midpoint), station kW)
 * (the midpoint rule; on a flat stretch it is exact). Integer ms per unit keep every plan's
 * total an exact integer sum, so two searches over the same units agree to the millisecond.
 */
export function unitChargeMs(
  curve: ChargingCurve,
  stationKw: number,
  unitKwh: number,
  stepPct: number,
  units: number,
): Int32Array {
  const out = new Int32Array(units);
  for (let i = 0; i < units; i++) {
    const kw = Math.min(curve.powerKw((i + 0.5) * stepPct), stationKw);
    out[i] = Math.round((unitKwh / kw) * 3_600_000);
  }
  return out;
}

/** Time to charge from unit `from` to unit `to` (from <= to) with a table of unitChargeMs. */
export function chargeSpanMs(table: Int32Array, from: number, to: number): number {
  let ms = 0;
  for (let i = from; i < to; i++) ms += table[i] as number;
  return ms;
}
