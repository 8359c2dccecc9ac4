/**
 * Charging curves: the car's maximum charging power as a function of its state of charge
 * (../shared/design/EV.md, "Charging curves", from the Open EV Data fork). The station's power caps
 * the car's: the power at SoC s is min(curve(s), station kW).
 */
export interface ChargingCurve {
  readonly name: string;
  /** The car's peak power, kW (the maximum of the curve). */
  readonly peakKw: number;
  /** The car's maximum power at `socPct` (0-100), kW; always > 0. */
  powerKw(socPct: number): number;
}

/** A curve through (SoC %, kW) points, linear between them, flat before the first and after the last. */
export function linearCurve(
  name: string,
  points: ReadonlyArray<readonly [number, number]>,
): ChargingCurve {
  const pts = points.map(([s, kw]) => [s, kw] as const);
  for (let i = 1; i < pts.length; i++)
    if ((pts[i]?.[0] ?? 0) <= (pts[i - 1]?.[0] ?? 0))
      throw new RangeError(`curve ${name}: SoC points must increase`);
  const peakKw = Math.max(...pts.map(([, kw]) => kw));
  return Object.freeze({
    name,
    peakKw,
    powerKw(socPct: number): number {
      const first = pts[0] as readonly [number, number];
      if (socPct <= first[0]) return first[1];
      for (let i = 1; i < pts.length; i++) {
        const [s1, p1] = pts[i] as readonly [number, number];
        if (socPct <= s1) {
          const [s0, p0] = pts[i - 1] as readonly [number, number];
          return p0 + ((p1 - p0) * (socPct - s0)) / (s1 - s0);
        }
      }
      return (pts[pts.length - 1] as readonly [number, number])[1];
    },
  });
}

/** Tesla Model 3 Long Range (2023): 250 kW up to 35 %, then 200 @ 50, 150 @ 65, 100 @ 80, 60 @ 90, 30 @ 100. */
export const TESLA_MODEL_3_LR = linearCurve('Tesla Model 3 LR', [
  [0, 250],
  [35, 250],
  [50, 200],
  [65, 150],
  [80, 100],
  [90, 60],
  [100, 30],
]);

/** BYD Dolphin 60 kWh: 88 kW up to 50 %, 52.8 @ 80, 26.4 @ 100. */
export const BYD_DOLPHIN = linearCurve('BYD Dolphin', [
  [0, 88],
  [50, 88],
  [80, 52.8],
  [100, 26.4],
]);

/** Peugeot e-208 (2021): 46 kW up to 20 %, 37 @ 40, 28 @ 60, 19 @ 80, 11 @ 100. */
export const PEUGEOT_E208 = linearCurve('Peugeot e-208', [
  [0, 46],
  [20, 46],
  [40, 37],
  [60, 28],
  [80, 19],
  [100, 11],
]);

/**
 * The generic default (ABRP-like) for models without a known curve, in bands of the peak:
 * 0-10 % -> 50 %, 10-50 % -> 100 %, 50-80 % -> 75 %, 80-90 % -> 35 %, 90-100 % -> 20 %.
 * A band's upper bound belongs to the band (10 % charges at half power).
 */
export function genericCurve(peakKw: number, name = `generic ${peakKw} kW`): ChargingCurve {
  if (!(peakKw > 0)) throw new RangeError(`peakKw must be > 0, got ${peakKw}`);
  const bands: ReadonlyArray<readonly [number, number]> = [
    [10, 0.5],
    [50, 1],
    [80, 0.75],
    [90, 0.35],
    [100, 0.2],
  ];
  return Object.freeze({
    name,
    peakKw,
    powerKw(socPct: number): number {
      for (const [upTo, share] of bands) if (socPct <= upTo) return peakKw * share;
      return peakKw * 0.2;
    },
  });
}
