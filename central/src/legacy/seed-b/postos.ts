import type { Kysely } from 'kysely';
import {
  DEFAULT_TARIFF,
  energyPricePerKwh,
  isAvailable,
  type Tariff,
  tariffSchema,
} from '../../ev/index.js';
import type { EvPointState, Schema } from '../../storage/index.js';
import type { Posto } from './messages.js';

/** How the list names each connector standard (docs/LEGACY-SEED-B.md, "Fields"). */
const CONNECTOR_NAME: Record<string, string> = {
  type1: 'Type 1',
  type2: 'Type 2',
  ccs1: 'CCS1',
  ccs2: 'CCS2',
  chademo: 'CHAdeMO',
  gbt_ac: 'GB/T AC',
  gbt_dc: 'GB/T DC',
};

/** A point of a station, as the seed B face needs it. */
export interface StationPoint {
  id: number;
  name: string;
  active: boolean;
  maintenance: boolean;
  state: EvPointState;
  edgeId: string | null;
  available: boolean;
}

/** A station with its points, connectors and prices. */
export interface StationFacts {
  id: number;
  companyId: string;
  name: string;
  latitude: number;
  longitude: number;
  timeZone: string;
  points: StationPoint[];
  /** The most powerful connector of any point (W) and its standard; 0/'' when none. */
  maxPowerW: number;
  connector: string;
  /** The lowest energy price of its points' effective tariffs (reais per kWh), or null. */
  pricePerKwh: string | null;
}

function effectiveTariff(point: unknown, company: unknown): Tariff {
  const parsed = tariffSchema.safeParse(point ?? company ?? DEFAULT_TARIFF);
  return parsed.success ? parsed.data : DEFAULT_TARIFF;
}

/**
 * The stations of a company (or one station of it) with live point state, in id order: three
 * statements whatever the number of stations.
 */
export async function stationFacts(
  db: Kysely<Schema>,
  companyId: string,
  stationId?: number,
): Promise<StationFacts[]> {
  let q = db
    .selectFrom('ev_stations as s')
    .innerJoin('ev_companies as c', 'c.id', 's.company_id')
    .select(['s.id', 's.company_id', 's.name', 's.latitude', 's.longitude', 's.time_zone'])
    .select('c.default_tariff')
    .where('s.company_id', '=', companyId)
    .orderBy('s.id');
  if (stationId !== undefined) q = q.where('s.id', '=', stationId);
  const stations = await q.execute();
  if (stations.length === 0) return [];
  const ids = stations.map((s) => Number(s.id));
  const points = await db
    .selectFrom('ev_points as p')
    .select([
      'p.id',
      'p.station_id',
      'p.name',
      'p.active',
      'p.maintenance',
      'p.state',
      'p.edge_id',
      'p.tariff',
    ])
    .where('p.station_id', 'in', ids)
    .orderBy('p.id')
    .execute();
  const connectors =
    points.length === 0
      ? []
      : await db
          .selectFrom('ev_connectors')
          .select(['point_id', 'standard', 'max_power_w'])
          .where(
            'point_id',
            'in',
            points.map((p) => Number(p.id)),
          )
          .orderBy('point_id')
          .orderBy('connector_no')
          .execute();
  const bestConnector = new Map<number, { standard: string; maxPowerW: number }>();
  for (const c of connectors) {
    const at = Number(c.point_id);
    const best = bestConnector.get(at);
    if (!best || c.max_power_w > best.maxPowerW)
      bestConnector.set(at, { standard: c.standard, maxPowerW: c.max_power_w });
  }
  return stations.map((s) => {
    const own = points.filter((p) => Number(p.station_id) === Number(s.id));
    let maxPowerW = 0;
    let connector = '';
    let price: string | null = null;
    for (const p of own) {
      const best = bestConnector.get(Number(p.id));
      if (best && best.maxPowerW > maxPowerW) {
        maxPowerW = best.maxPowerW;
        connector = CONNECTOR_NAME[best.standard] ?? best.standard;
      }
      const energy = energyPricePerKwh(effectiveTariff(p.tariff, s.default_tariff));
      if (energy !== null && (price === null || Number(energy) < Number(price))) price = energy;
    }
    return {
      id: Number(s.id),
      companyId: s.company_id,
      name: s.name,
      latitude: s.latitude,
      longitude: s.longitude,
      timeZone: s.time_zone,
      points: own.map((p) => ({
        id: Number(p.id),
        name: p.name,
        active: p.active,
        maintenance: p.maintenance,
        state: p.state,
        edgeId: p.edge_id,
        available: isAvailable(p),
      })),
      maxPowerW,
      connector,
      pricePerKwh: price,
    };
  });
}

/**
 * A station as seed B's list shows it (docs/LEGACY-SEED-B.md, "Fields"): `disponivel` when any
 * point is available now, `em_manutencao` when every point is in maintenance.
 */
export function toPosto(s: StationFacts): Posto {
  return {
    id: s.id,
    nome: s.name,
    localizacao: `${s.latitude},${s.longitude}`,
    potencia_maxima: s.maxPowerW / 1000,
    tipo_conector: s.connector,
    preco_kwh: s.pricePerKwh === null ? null : Number(s.pricePerKwh),
    disponivel: s.points.some((p) => p.available),
    em_manutencao: s.points.length > 0 && s.points.every((p) => p.maintenance),
  };
}
