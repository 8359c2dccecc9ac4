import { readFileSync } from 'node:fs';
import { GridlinkError } from '@gridlink/shared';

/**
 * An EV model as the seed describes it (data/seed/car_models.json, SEEDS.md A/C). The seed has
 * no range field: full-charge range = capacity / consumption (Model 3 500 km, Leaf 235.3 km,
 * Bolt EV 412.5 km).
 */
export interface CarModel {
  /** The seed's key, e.g. "Tesla Model 3". */
  name: string;
  brand: string;
  model: string;
  batteryCapacityKWh: number;
  consumptionKWhPerKm: number;
  maxSpeedKmh: number;
  /** 0-100 km/h, s (carried for completeness; the simulation does not model acceleration). */
  accelerationS: number;
}

function invalid(path: string, reason: string): never {
  throw new GridlinkError('GL_CONFIG_INVALID', `${path}: ${reason}`, { key: path });
}

function positive(o: Record<string, unknown>, key: string, path: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    invalid(`${path}.${key}`, `must be a number > 0, got ${JSON.stringify(v)}`);
  }
  return v;
}

function text(o: Record<string, unknown>, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.trim() === '')
    invalid(`${path}.${key}`, 'must be a non-empty string');
  return v;
}

const MODEL_KEYS = [
  'brand',
  'model',
  'battery_capacity',
  'energy_consumption',
  'max_speed',
  'acceleration',
];

/**
 * Validates a car-models document `{source?, models: {name: {brand, model, battery_capacity,
 * energy_consumption, max_speed, acceleration}}}` (the seed's shape under `models`); a bad
 * entry is GL_CONFIG_INVALID naming its key path.
 */
export function parseCarModels(doc: unknown, source = 'car-models'): ReadonlyMap<string, CarModel> {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    invalid(source, 'must be an object');
  const models = (doc as Record<string, unknown>).models;
  if (typeof models !== 'object' || models === null || Array.isArray(models)) {
    invalid(`${source}.models`, 'must be an object keyed by model name');
  }
  const out = new Map<string, CarModel>();
  for (const [name, entry] of Object.entries(models)) {
    const path = `${source}.models.${name}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      invalid(path, 'must be an object');
    }
    const o = entry as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (!MODEL_KEYS.includes(key)) invalid(`${path}.${key}`, 'unknown key');
    }
    out.set(name, {
      name,
      brand: text(o, 'brand', path),
      model: text(o, 'model', path),
      batteryCapacityKWh: positive(o, 'battery_capacity', path),
      consumptionKWhPerKm: positive(o, 'energy_consumption', path),
      maxSpeedKmh: positive(o, 'max_speed', path),
      accelerationS: positive(o, 'acceleration', path),
    });
  }
  if (out.size === 0) invalid(`${source}.models`, 'must list at least one model');
  return out;
}

let loaded: ReadonlyMap<string, CarModel> | undefined;

/** The embedded models (car-models.json next to this file), validated on first use. */
export function carModels(): ReadonlyMap<string, CarModel> {
  loaded ??= parseCarModels(
    JSON.parse(readFileSync(new URL('./car-models.json', import.meta.url), 'utf8')),
    'car-models.json',
  );
  return loaded;
}

/** One embedded model by its seed name; GL_CONFIG_INVALID naming the choices otherwise. */
export function getCarModel(name: string, path = 'model'): CarModel {
  const model = carModels().get(name);
  if (!model) {
    invalid(
      path,
      `unknown car model ${JSON.stringify(name)} (have: ${[...carModels().keys()].join(', ')})`,
    );
  }
  return model;
}

/** Full-charge range, km. */
export function fullRangeKm(model: CarModel): number {
  return model.batteryCapacityKWh / model.consumptionKWhPerKm;
}
