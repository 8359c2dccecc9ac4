import { GridlinkError } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import type { Schema } from '../../storage/index.js';
import { SEED_CAR_MODELS } from './car-models.js';
import type { CarReport } from './car-report.js';
import type { DriverScope } from './driver-scope.js';
import { normalizePlate } from './plate.js';

/** A car's last report, as the API and the other EV modules see it. */
export interface CarLastState {
  batteryPct: number;
  charging: boolean;
  at: string;
}

export interface CarView {
  plate: string;
  driverId: number | null;
  model: string | null;
  batteryKwh: number | null;
  consumptionKwhPerKm: number | null;
  last: CarLastState | null;
  createdAt: string;
  updatedAt: string;
}

export interface CarInput {
  plate: string;
  /** Staff only: the owner (null: nobody). A driver always registers for itself. */
  driverId?: number | null;
  model?: string | null;
  batteryKwh?: number | null;
  consumptionKwhPerKm?: number | null;
}

export type CarPatch = Omit<CarInput, 'plate'>;

export interface CarStateView {
  at: string;
  source: 'status' | 'bateria';
  batteryPct: number;
  charging: boolean;
  energyKwh: number | null;
  rangeKm: number | null;
  powerKw: number | null;
  receivedAt: string;
}

const COLUMNS = [
  'plate',
  'driver_id',
  'model',
  'battery_kwh',
  'consumption_kwh_per_km',
  'last_battery_pct',
  'last_charging',
  'last_at',
  'created_at',
  'updated_at',
] as const;

type CarRow = {
  plate: string;
  driver_id: string | number | null;
  model: string | null;
  battery_kwh: number | null;
  consumption_kwh_per_km: number | null;
  last_battery_pct: number | null;
  last_charging: boolean | null;
  last_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

const iso = (d: Date | string) => new Date(d).toISOString();

function view(r: CarRow): CarView {
  return {
    plate: r.plate,
    driverId: r.driver_id === null ? null : Number(r.driver_id),
    model: r.model,
    batteryKwh: r.battery_kwh,
    consumptionKwhPerKm: r.consumption_kwh_per_km,
    last:
      r.last_at === null || r.last_battery_pct === null || r.last_charging === null
        ? null
        : { batteryPct: r.last_battery_pct, charging: r.last_charging, at: iso(r.last_at) },
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

function checkNumber(field: string, v: number | null | undefined, max: number) {
  if (v === undefined || v === null) return v;
  if (!Number.isFinite(v) || v <= 0 || v > max)
    throw new GridlinkError('GL_VALIDATION', `${field}: a number above 0 and at most ${max}`);
  return v;
}

/** Model, battery and consumption of an input: a seed model fills the numbers not given. */
function specOf(input: CarPatch) {
  const model =
    input.model === undefined || input.model === null ? input.model : input.model.trim();
  if (typeof model === 'string' && (model.length < 1 || model.length > 100))
    throw new GridlinkError('GL_VALIDATION', 'model: 1-100 characters');
  const seed = typeof model === 'string' ? SEED_CAR_MODELS.get(model) : undefined;
  return {
    model,
    battery:
      checkNumber('batteryKwh', input.batteryKwh, 1000) ??
      (seed ? seed.batteryKwh : input.batteryKwh),
    consumption:
      checkNumber('consumptionKwhPerKm', input.consumptionKwhPerKm, 10) ??
      (seed ? seed.consumptionKwhPerKm : input.consumptionKwhPerKm),
  };
}

const inScope = (scope: DriverScope, driverId: string | number | null) =>
  scope.kind === 'all' ||
  (scope.kind === 'driver' && driverId !== null && Number(driverId) === scope.driverId);

async function checkDriverExists(db: Kysely<Schema>, driverId: number) {
  const row = await db
    .selectFrom('ev_drivers')
    .select('id')
    .where('id', '=', driverId)
    .executeTakeFirst();
  if (!row) throw new GridlinkError('GL_VALIDATION', `driverId: no driver ${driverId}`);
}

/**
 * Registers a car. A driver registers it for itself; staff name the owner (or none). A plate
 * already registered is GL_CONFLICT, also when the car reported before anyone registered it
 * (then staff assign its owner with an update): a driver cannot take over a car that is already
 * known, with its MQTT credential.
 */
export async function registerCar(
  db: Kysely<Schema>,
  scope: DriverScope,
  input: CarInput,
  now: Date,
): Promise<CarView> {
  // A driver token names its driver by id; one naming no (longer) existing driver owns nothing.
  if (scope.kind === 'none')
    throw new GridlinkError('GL_NOT_FOUND', 'this token acts for no driver');
  const plate = normalizePlate(input.plate);
  const spec = specOf(input);
  let driverId: number | null;
  if (scope.kind === 'driver') {
    if (input.driverId !== undefined && input.driverId !== scope.driverId)
      throw new GridlinkError('GL_VALIDATION', 'driverId: a driver registers cars for itself');
    driverId = scope.driverId;
    const me = await db
      .selectFrom('ev_drivers')
      .select('id')
      .where('id', '=', driverId)
      .executeTakeFirst();
    if (!me) throw new GridlinkError('GL_NOT_FOUND', `driver ${driverId} not found`);
  } else {
    driverId = input.driverId ?? null;
    if (driverId !== null) await checkDriverExists(db, driverId);
  }
  const row = await db
    .insertInto('ev_cars')
    .values({
      plate,
      driver_id: driverId,
      model: spec.model ?? null,
      battery_kwh: spec.battery ?? null,
      consumption_kwh_per_km: spec.consumption ?? null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('plate').doNothing())
    .returning(COLUMNS)
    .executeTakeFirst();
  if (!row) throw new GridlinkError('GL_CONFLICT', `plate: ${plate} is registered already`);
  return view(row);
}

/** A car within `scope`, or undefined (absent or not the caller's). */
export async function getCar(
  db: Kysely<Schema>,
  plateInput: string,
  scope: DriverScope,
): Promise<CarView | undefined> {
  if (scope.kind === 'none') return undefined;
  const plate = normalizePlate(plateInput);
  const row = await db
    .selectFrom('ev_cars')
    .select(COLUMNS)
    .where('plate', '=', plate)
    .executeTakeFirst();
  return row && inScope(scope, row.driver_id) ? view(row) : undefined;
}

/** Cars within `scope` by plate, a page after the plate `after`; staff may filter by owner. */
export async function listCars(
  db: Kysely<Schema>,
  scope: DriverScope,
  page: { limit: number; after?: string; driverId?: number },
): Promise<{ items: CarView[]; next: string | null }> {
  if (scope.kind === 'none') return { items: [], next: null };
  let q = db
    .selectFrom('ev_cars')
    .select(COLUMNS)
    .orderBy('plate')
    .limit(page.limit + 1);
  if (scope.kind === 'driver') q = q.where('driver_id', '=', scope.driverId);
  else if (page.driverId !== undefined) q = q.where('driver_id', '=', page.driverId);
  if (page.after !== undefined) q = q.where('plate', '>', page.after);
  const rows = await q.execute();
  const items = rows.slice(0, page.limit).map(view);
  return { items, next: rows.length > page.limit ? (items.at(-1)?.plate ?? null) : null };
}

/** Updates a car within `scope`; only staff change its owner. Undefined when out of scope. */
export async function updateCar(
  db: Kysely<Schema>,
  plateInput: string,
  scope: DriverScope,
  patch: CarPatch,
  now: Date,
): Promise<CarView | undefined> {
  const current = await getCar(db, plateInput, scope);
  if (!current) return undefined;
  if (patch.driverId !== undefined && scope.kind !== 'all')
    throw new GridlinkError('GL_VALIDATION', 'driverId: only staff move a car to another driver');
  if (patch.driverId !== undefined && patch.driverId !== null)
    await checkDriverExists(db, patch.driverId);
  const spec = specOf(patch);
  const set: Record<string, unknown> = { updated_at: now };
  if (patch.driverId !== undefined) set.driver_id = patch.driverId;
  if (spec.model !== undefined) set.model = spec.model;
  if (spec.battery !== undefined) set.battery_kwh = spec.battery;
  if (spec.consumption !== undefined) set.consumption_kwh_per_km = spec.consumption;
  const row = await db
    .updateTable('ev_cars')
    .set(set)
    .where('plate', '=', current.plate)
    .returning(COLUMNS)
    .executeTakeFirst();
  return row && view(row);
}

/**
 * Deletes a car within `scope` with its history. Its MQTT credential is the broker's: the caller
 * revokes it first (http/routes/cars.ts), so a deleted car cannot connect and come back unowned.
 * False when out of scope or absent.
 */
export async function deleteCar(
  db: Kysely<Schema>,
  plateInput: string,
  scope: DriverScope,
): Promise<boolean> {
  const current = await getCar(db, plateInput, scope);
  if (!current) return false;
  const r = await db.deleteFrom('ev_cars').where('plate', '=', current.plate).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** A car's reports in `[from, to)`, oldest first, at most `limit`; undefined when out of scope. */
export async function carStates(
  db: Kysely<Schema>,
  plateInput: string,
  scope: DriverScope,
  range: { from: Date; to: Date; limit: number },
): Promise<CarStateView[] | undefined> {
  const car = await getCar(db, plateInput, scope);
  if (!car) return undefined;
  const rows = await db
    .selectFrom('ev_car_states')
    .select([
      'ts',
      'source',
      'battery_pct',
      'charging',
      'energy_kwh',
      'range_km',
      'power_kw',
      'received_at',
    ])
    .where('plate', '=', car.plate)
    .where('ts', '>=', range.from)
    .where('ts', '<', range.to)
    .orderBy('ts')
    .orderBy('id')
    .limit(range.limit)
    .execute();
  return rows.map((r) => ({
    at: iso(r.ts),
    source: r.source,
    batteryPct: r.battery_pct,
    charging: r.charging,
    energyKwh: r.energy_kwh,
    rangeKm: r.range_km,
    powerKw: r.power_kw,
    receivedAt: iso(r.received_at),
  }));
}

export type RecordOutcome =
  | { stored: true; created: boolean; newest: boolean }
  | { stored: false; reason: 'unknown-plate' };

/**
 * Stores one report in one transaction: the history row, and the car's last state when the
 * report is not older than the one it holds (a late `bateria` with the car's own clock does not
 * step the last state back). `bateria`'s model and numbers fill the car's only where it has none:
 * what a driver or operator set wins. A plate with no car row is registered unowned when
 * `createUnknown` (the broker authenticated it with a credential staff issued), else dropped.
 */
export async function recordCarReport(
  db: Kysely<Schema>,
  report: CarReport,
  options: { createUnknown: boolean },
): Promise<RecordOutcome> {
  return db.transaction().execute(async (trx): Promise<RecordOutcome> => {
    let created = false;
    if (options.createUnknown) {
      const ins = await trx
        .insertInto('ev_cars')
        .values({
          plate: report.plate,
          created_at: report.receivedAt,
          updated_at: report.receivedAt,
        })
        .onConflict((oc) => oc.column('plate').doNothing())
        .returning('plate')
        .executeTakeFirst();
      created = ins !== undefined;
    }
    const seed = report.model ? SEED_CAR_MODELS.get(report.model) : undefined;
    const newer = sql<boolean>`(last_at IS NULL OR last_at <= ${report.at})`;
    const updated = await trx
      .updateTable('ev_cars')
      .set({
        last_battery_pct: sql`CASE WHEN ${newer} THEN ${report.batteryPct}::double precision ELSE last_battery_pct END`,
        last_charging: sql`CASE WHEN ${newer} THEN ${report.charging}::boolean ELSE last_charging END`,
        last_at: sql`CASE WHEN ${newer} THEN ${report.at}::timestamptz ELSE last_at END`,
        model: sql`COALESCE(model, ${report.model}::text)`,
        battery_kwh: sql`COALESCE(battery_kwh, ${report.batteryKwh ?? seed?.batteryKwh ?? null}::double precision)`,
        consumption_kwh_per_km: sql`COALESCE(consumption_kwh_per_km, ${report.consumptionKwhPerKm ?? seed?.consumptionKwhPerKm ?? null}::double precision)`,
        updated_at: report.receivedAt,
      })
      .where('plate', '=', report.plate)
      .returning(sql<Date>`last_at`.as('last_at'))
      .executeTakeFirst();
    if (!updated) return { stored: false, reason: 'unknown-plate' };
    await trx
      .insertInto('ev_car_states')
      .values({
        plate: report.plate,
        ts: report.at,
        source: report.source,
        battery_pct: report.batteryPct,
        charging: report.charging,
        energy_kwh: report.energyKwh,
        range_km: report.rangeKm,
        power_kw: report.powerKw,
        received_at: report.receivedAt,
      })
      .execute();
    const newest = new Date(updated.last_at).getTime() === report.at.getTime();
    return { stored: true, created, newest };
  });
}
