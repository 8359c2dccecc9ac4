import { PLANNER_CAR_MODELS } from '../../ev/index.js';

/** 0-100 km/h seconds of the seed's models (data/seed/car_models.json); others unknown. */
const ACCELERATION: Readonly<Record<string, number>> = {
  'Tesla Model 3': 3.1,
  'Nissan Leaf': 7.9,
  'Chevrolet Bolt EV': 6.5,
};

/** A model as START shows it: car_models.json's fields plus the full-charge range. */
export interface StartCarModel {
  brand: string;
  model: string;
  battery_capacity: number;
  energy_consumption: number;
  max_speed: number;
  acceleration: number | null;
  autonomy: number;
}

/**
 * The models a journey may LOGIN with: the trip planner's (the seed's three with their charging
 * curves, and two more with published curves), keyed by name as car_models.json keys them.
 */
export function startCarModels(): Record<string, StartCarModel> {
  const out: Record<string, StartCarModel> = {};
  for (const m of PLANNER_CAR_MODELS.values()) {
    const space = m.name.indexOf(' ');
    out[m.name] = {
      brand: space < 0 ? m.name : m.name.slice(0, space),
      model: space < 0 ? m.name : m.name.slice(space + 1),
      battery_capacity: m.batteryKwh,
      energy_consumption: m.consumptionKwhPerKm,
      max_speed: m.maxSpeedKmh,
      acceleration: ACCELERATION[m.name] ?? null,
      autonomy: Math.round((m.batteryKwh / m.consumptionKwhPerKm) * 10) / 10,
    };
  }
  return out;
}
