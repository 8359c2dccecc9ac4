import {
  BYD_DOLPHIN,
  type ChargingCurve,
  genericCurve,
  PEUGEOT_E208,
  TESLA_MODEL_3_LR,
} from './curves.js';

/** What the planner needs of a car. */
export interface CarSpec {
  /** Usable battery, kWh. */
  batteryKwh: number;
  /** kWh per km at cruising speed. */
  consumptionKwhPerKm: number;
  /** Cruising speed used for every leg, km/h (see `cruiseSpeedKmh`). */
  speedKmh: number;
  curve: ChargingCurve;
}

/** A model the planner knows: the seed's three (car_models.json) and the curves' two others. */
export interface PlannerCarModel {
  name: string;
  batteryKwh: number;
  consumptionKwhPerKm: number;
  maxSpeedKmh: number;
  curve: ChargingCurve;
}

/** DC peak (kW) for the seed models without a published curve: the generic curve is scaled to it. */
const LEAF_PEAK_KW = 50; // CHAdeMO 50 kW
const BOLT_PEAK_KW = 55; // CCS1, 55 kW (2017-2021)
/** Peak for a model nobody knows: the common Brazilian DC charger. */
export const UNKNOWN_MODEL_PEAK_KW = 50;

/**
 * The seed's models (data/seed/car_models.json: battery, consumption, max speed) with their
 * curves; "Tesla Model 3" (75 kWh) takes the Model 3 Long Range curve. BYD Dolphin and Peugeot
 * e-208 have published curves (EV.md) and public specs (60.48 kWh, 0.15 kWh/km, 160 km/h;
 * 50 kWh, 0.16 kWh/km, 150 km/h).
 */
export const PLANNER_CAR_MODELS: ReadonlyMap<string, PlannerCarModel> = new Map(
  (
    [
      ['Tesla Model 3', 75, 0.15, 261, TESLA_MODEL_3_LR],
      ['Nissan Leaf', 40, 0.17, 144, genericCurve(LEAF_PEAK_KW, 'generic 50 kW (Nissan Leaf)')],
      ['Chevrolet Bolt EV', 66, 0.16, 146, genericCurve(BOLT_PEAK_KW, 'generic 55 kW (Bolt EV)')],
      ['BYD Dolphin', 60.48, 0.15, 160, BYD_DOLPHIN],
      ['Peugeot e-208', 50, 0.16, 150, PEUGEOT_E208],
    ] as const
  ).map(([name, batteryKwh, consumptionKwhPerKm, maxSpeedKmh, curve]) => [
    name,
    Object.freeze({ name, batteryKwh, consumptionKwhPerKm, maxSpeedKmh, curve }),
  ]),
);

/** The road speed cap, km/h: Brazilian highways (CTB art. 61) allow 110 on dual carriageways, 100 on others; 90 averages in towns and trucks. */
export const DEFAULT_ROAD_SPEED_KMH = 90;
/** The original journey server's rule: travel at 0.7 x the car's top speed. */
export const TOP_SPEED_SHARE = 0.7;

/**
 * Cruising speed: min(0.7 x top speed, road speed). The original used 0.7 x top speed alone,
 * which sends a Tesla (261 km/h) at 183 km/h; the road cap keeps every seed car at 90 km/h.
 */
export function cruiseSpeedKmh(maxSpeedKmh: number, roadSpeedKmh = DEFAULT_ROAD_SPEED_KMH): number {
  return Math.min(maxSpeedKmh * TOP_SPEED_SHARE, roadSpeedKmh);
}

/**
 * The planner's car from what is known of it: a known model's numbers and curve, overridden by
 * the car's own battery and consumption (ev_cars) when given; an unknown model needs both and
 * gets the generic curve at `UNKNOWN_MODEL_PEAK_KW` and the road speed. Returns null when an
 * unknown model lacks the numbers.
 */
export function carSpecFor(
  car: { model?: string | null; batteryKwh?: number | null; consumptionKwhPerKm?: number | null },
  roadSpeedKmh = DEFAULT_ROAD_SPEED_KMH,
): CarSpec | null {
  const known = car.model ? PLANNER_CAR_MODELS.get(car.model) : undefined;
  const batteryKwh = car.batteryKwh ?? known?.batteryKwh;
  const consumptionKwhPerKm = car.consumptionKwhPerKm ?? known?.consumptionKwhPerKm;
  if (batteryKwh === undefined || consumptionKwhPerKm === undefined) return null;
  return {
    batteryKwh,
    consumptionKwhPerKm,
    speedKmh: known ? cruiseSpeedKmh(known.maxSpeedKmh, roadSpeedKmh) : roadSpeedKmh,
    curve: known?.curve ?? genericCurve(UNKNOWN_MODEL_PEAK_KW),
  };
}
