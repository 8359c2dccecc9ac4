import { type Kysely, sql } from 'kysely';
import {
  type Busy,
  DEFAULT_TARIFF,
  energyPricePerKwh,
  OCCUPIED,
  pointUsable,
  type Tariff,
  tariffSchema,
} from '../../ev/index.js';
import type { EvPointState, Schema } from '../../storage/index.js';

/** A point as the journey needs it: usable, power, tariff and busy times ahead. */
export interface JourneyPoint {
  id: number;
  usable: boolean;
  available: boolean;
  powerKw: number;
  tariff: Tariff;
  busy: Busy[];
}

export interface JourneyStation {
  id: number;
  name: string;
  address: string | null;
  latitude: number;
  longitude: number;
  timeZone: string;
  points: JourneyPoint[];
}

export interface StationReadOptions {
  /** Read only these stations (SELECTION_STATION); all when absent (START). */
  ids?: readonly number[];
  now: number;
  /** Bookings read up to now + this. */
  horizonMs: number;
  /** Power of a point with no connector on record, kW. */
  defaultPowerKw: number;
  /** A point in use now is counted busy this long, ms. */
  occupiedMs: number;
}

const LIVE = ['PENDING', 'RESERVED', 'FULFILLED'] as const;

function tariffOf(point: unknown, company: unknown): Tariff {
  const parsed = tariffSchema.safeParse(point ?? company ?? DEFAULT_TARIFF);
  return parsed.success ? parsed.data : DEFAULT_TARIFF;
}

/**
 * Stations with their points' live state, power, tariff and live bookings ahead: three
 * statements whatever the number of stations, in station then point id order.
 */
export async function readStations(
  db: Kysely<Schema>,
  o: StationReadOptions,
): Promise<JourneyStation[]> {
  if (o.ids && o.ids.length === 0) return [];
  let q = db
    .selectFrom('ev_points as p')
    .innerJoin('ev_stations as s', 's.id', 'p.station_id')
    .innerJoin('ev_companies as c', 'c.id', 's.company_id')
    .leftJoin('ev_connectors as k', 'k.point_id', 'p.id')
    .select([
      's.id as station_id',
      's.name',
      's.address',
      's.latitude',
      's.longitude',
      's.time_zone',
      'c.default_tariff',
      'p.id as point_id',
      'p.active',
      'p.maintenance',
      'p.state',
      'p.tariff',
      (eb) => eb.fn.max('k.max_power_w').as('max_w'),
    ])
    .groupBy(['s.id', 'c.id', 'p.id'])
    .orderBy('s.id')
    .orderBy('p.id');
  if (o.ids) q = q.where('s.id', 'in', [...o.ids]);
  const rows = await q.execute();
  if (rows.length === 0) return [];
  const from = new Date(o.now);
  const until = new Date(o.now + o.horizonMs);
  const bookings = await db
    .selectFrom('ev_reservations')
    .select(['point_id', sql<Date>`lower(period)`.as('start'), sql<Date>`upper(period)`.as('end')])
    .where('state', 'in', LIVE)
    .where(
      'point_id',
      'in',
      rows.map((r) => Number(r.point_id)),
    )
    .where(sql<boolean>`period && tstzrange(${from}, ${until})`)
    .execute();
  const busyOf = new Map<number, Busy[]>();
  for (const b of bookings) {
    const list = busyOf.get(Number(b.point_id)) ?? [];
    list.push({ start: new Date(b.start).getTime(), end: new Date(b.end).getTime() });
    busyOf.set(Number(b.point_id), list);
  }
  const stations = new Map<number, JourneyStation>();
  for (const r of rows) {
    const id = Number(r.station_id);
    let st = stations.get(id);
    if (!st) {
      st = {
        id,
        name: r.name,
        address: r.address,
        latitude: r.latitude,
        longitude: r.longitude,
        timeZone: r.time_zone,
        points: [],
      };
      stations.set(id, st);
    }
    const pointId = Number(r.point_id);
    const busy = busyOf.get(pointId) ?? [];
    const state = r.state as EvPointState;
    if (OCCUPIED.has(state) && o.occupiedMs > 0)
      busy.push({ start: o.now, end: o.now + o.occupiedMs });
    busy.sort((a, b) => a.start - b.start);
    const usable = pointUsable({ active: r.active, maintenance: r.maintenance, state });
    st.points.push({
      id: pointId,
      usable,
      available: usable && (state === 'available' || state === 'unknown'),
      powerKw: r.max_w == null ? o.defaultPowerKw : Number(r.max_w) / 1000,
      tariff: tariffOf(r.tariff, r.default_tariff),
      busy,
    });
  }
  return [...stations.values()];
}

/** The lowest energy price of a station's usable points, reais per kWh, or null. */
export function stationPricePerKwh(s: JourneyStation): number | null {
  let best: number | null = null;
  for (const p of s.points) {
    if (!p.usable) continue;
    const e = energyPricePerKwh(p.tariff);
    if (e !== null && (best === null || Number(e) < best)) best = Number(e);
  }
  return best;
}
