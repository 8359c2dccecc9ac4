import type { Kysely } from 'kysely';
import type { EvPointState, Schema } from '../../storage/index.js';
import { getCompany } from './companies.js';
import { pointsOfStations } from './points.js';
import { ALL_COMPANIES } from './scope.js';
import { listStations } from './stations.js';
import type { ConnectorView, PointView } from './views.js';

/**
 * What anyone may see of a company's stations without signing in (issue #20, the public
 * availability page): places, points, connectors and whether each point can be used now.
 * Nothing personal and nothing operational: no maintenance author or reason, no charger
 * binding, no registers, no bookings or plates.
 */
export type PublicPointStatus = 'available' | 'occupied' | 'unavailable' | 'unknown';

export interface PublicPointView {
  id: number;
  name: string;
  status: PublicPointStatus;
  connectors: ConnectorView[];
}

export interface PublicStationView {
  id: number;
  name: string;
  address: string | null;
  latitude: number;
  longitude: number;
  timeZone: string;
  points: number;
  availablePoints: number;
  pointList: PublicPointView[];
}

export interface PublicAvailability {
  company: { id: string; name: string };
  items: PublicStationView[];
  next: string | null;
}

const OCCUPIED_STATES: readonly EvPointState[] = ['preparing', 'charging', 'finishing', 'reserved'];

/** A point's public status: `available` is seed A's `disponivel` (PointView.available). */
export function publicPointStatus(p: PointView): PublicPointStatus {
  if (p.available) return 'available';
  if (!p.active || p.maintenance.on || p.state === 'faulted' || p.state === 'unavailable')
    return 'unavailable';
  if (OCCUPIED_STATES.includes(p.state)) return 'occupied';
  return 'unknown';
}

/** A page of the company's stations (id order), or undefined when there is no such company. */
export async function publicAvailability(
  db: Kysely<Schema>,
  companyId: string,
  page: { limit: number; after?: number },
): Promise<PublicAvailability | undefined> {
  const company = await getCompany(db, ALL_COMPANIES, companyId);
  if (!company) return undefined;
  const stations = await listStations(db, ALL_COMPANIES, {
    companyId,
    limit: page.limit,
    ...(page.after === undefined ? {} : { after: page.after }),
  });
  const points = await pointsOfStations(
    db,
    ALL_COMPANIES,
    stations.items.map((s) => s.id),
  );
  const byStation = new Map<number, PublicPointView[]>();
  for (const p of points) {
    const list = byStation.get(p.stationId) ?? [];
    list.push({ id: p.id, name: p.name, status: publicPointStatus(p), connectors: p.connectors });
    byStation.set(p.stationId, list);
  }
  return {
    company: { id: company.id, name: company.name },
    items: stations.items.map((s) => ({
      id: s.id,
      name: s.name,
      address: s.address,
      latitude: s.latitude,
      longitude: s.longitude,
      timeZone: s.timeZone,
      points: s.points,
      availablePoints: s.availablePoints,
      pointList: byStation.get(s.id) ?? [],
    })),
    next: stations.next,
  };
}
