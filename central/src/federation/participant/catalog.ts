import { type Kysely, sql } from 'kysely';
import type { Schema } from '../../storage/index.js';
import type { Catalog } from '../wire.js';
import { wireInstant } from './fence-store.js';

export interface CatalogOptions {
  /** Our federation name (the catalog's `peer`). */
  name: string;
  now: Date;
  /** `federation.catalogHorizonHours`: bookings listed ahead. */
  horizonHours: number;
  /** A point without connectors is planned at this power (`ev.trips.defaultPointPowerKw`). */
  defaultPointPowerKw: number;
}

const json = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v);

/**
 * Our stations and points as a peer plans over them (GET /api/v1/federation/catalog): whether
 * each takes bookings, its live state, its power (the most powerful connector, as the trip
 * planner reads it), its tariff (the point's, else its company's default) and its live bookings
 * from now to the horizon. Two queries, whatever the size of the network.
 */
export async function buildCatalog(db: Kysely<Schema>, o: CatalogOptions): Promise<Catalog> {
  const until = new Date(o.now.getTime() + o.horizonHours * 3_600_000);
  const rows = await db
    .selectFrom('ev_points as p')
    .innerJoin('ev_stations as s', 's.id', 'p.station_id')
    .innerJoin('ev_companies as co', 'co.id', 's.company_id')
    .leftJoin('ev_connectors as c', 'c.point_id', 'p.id')
    .select([
      's.id as station_id',
      's.company_id',
      's.name as station_name',
      's.latitude',
      's.longitude',
      'p.id as point_id',
      'p.name as point_name',
      // Takes bookings: the reservation engine's condition for a new booking (its insert's).
      sql<boolean>`p.active AND NOT p.maintenance AND p.state NOT IN ('faulted', 'unavailable')`.as(
        'usable',
      ),
      'p.state',
      'p.tariff',
      'co.default_tariff',
      (eb) => eb.fn.max('c.max_power_w').as('max_w'),
    ])
    .groupBy(['s.id', 'p.id', 'co.id'])
    .orderBy('s.id')
    .orderBy('p.id')
    .execute();
  const { rows: bookings } = await sql<{
    point_id: string | number;
    s: Date | string;
    e: Date | string;
  }>`SELECT point_id, lower(period) AS s, upper(period) AS e FROM ev_reservations
    WHERE state IN ('PENDING', 'RESERVED', 'FULFILLED')
      AND period && tstzrange(${o.now.toISOString()}::timestamptz, ${until.toISOString()}::timestamptz, '[)')
    ORDER BY point_id, lower(period)`.execute(db);
  const busy = new Map<number, Array<{ start: string; end: string }>>();
  for (const b of bookings) {
    const list = busy.get(Number(b.point_id)) ?? [];
    list.push({ start: wireInstant(new Date(b.s)), end: wireInstant(new Date(b.e)) });
    busy.set(Number(b.point_id), list);
  }
  const stations = new Map<number, Catalog['stations'][number]>();
  for (const r of rows) {
    const id = Number(r.station_id);
    let st = stations.get(id);
    if (!st) {
      st = {
        id,
        companyId: r.company_id,
        name: r.station_name,
        latitude: r.latitude,
        longitude: r.longitude,
        points: [],
      };
      stations.set(id, st);
    }
    const pointId = Number(r.point_id);
    st.points.push({
      id: pointId,
      name: r.point_name,
      usable: r.usable,
      state: r.state,
      powerKw: r.max_w == null ? o.defaultPointPowerKw : Number(r.max_w) / 1000,
      price: json(r.tariff ?? r.default_tariff ?? null),
      busy: busy.get(pointId) ?? [],
    });
  }
  return {
    peer: o.name,
    generatedAt: o.now.toISOString(),
    busyUntil: until.toISOString(),
    stations: [...stations.values()],
  };
}
