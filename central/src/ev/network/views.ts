import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { EvPointState, Schema } from '../../storage/index.js';
import type { Tariff } from '../tariffs/tariff-schema.js';
import type { ConnectorStandard, PowerType } from './connector-spec.js';

export interface ConnectorView {
  connectorNo: number;
  standard: ConnectorStandard;
  powerType: PowerType;
  maxPowerW: number;
}

export interface PointView {
  id: number;
  stationId: number;
  companyId: string;
  externalId: string;
  name: string;
  active: boolean;
  /** Seed A `disponivel`: active, not in maintenance, and free (see isAvailable). */
  available: boolean;
  maintenance: { on: boolean; reason: string | null; by: string | null; at: string | null };
  /** The point's own tariff; null = the company's default (or DEFAULT_TARIFF). */
  tariff: Tariff | null;
  /** The charger bound to the point (ev/live), or null. */
  charger: { edgeId: string; deviceId: string } | null;
  state: EvPointState;
  stateAt: string | null;
  faultCode: number | null;
  powerW: number | null;
  sessionEnergyWh: number | null;
  energyTotalWh: number | null;
  connectors: ConnectorView[];
}

export interface PointRow {
  id: string | number;
  station_id: string | number;
  company_id: string;
  external_id: string;
  name: string;
  active: boolean;
  maintenance: boolean;
  maintenance_reason: string | null;
  maintenance_by: string | null;
  maintenance_at: Date | null;
  tariff: unknown;
  edge_id: string | null;
  device_id: string | null;
  state: EvPointState;
  state_at: Date | null;
  fault_code: number | null;
  power_w: number | null;
  session_energy_wh: string | number | null;
  energy_total_wh: string | number | null;
}

/**
 * Seed A's `disponivel` (docs/EV.md, "Decisions"): the point is active, not in maintenance, and
 * its charger says `available`, or it has no charger bound and no state yet (`unknown`: the seed
 * had no chargers at all).
 */
export function isAvailable(p: {
  active: boolean;
  maintenance: boolean;
  state: EvPointState;
  edge_id: string | null;
}): boolean {
  return (
    p.active &&
    !p.maintenance &&
    (p.state === 'available' || (p.state === 'unknown' && p.edge_id === null))
  );
}

/** isAvailable as SQL over `ev_points` (aliased `p`). */
export function availableSql(
  eb: ExpressionBuilder<Schema & { p: Schema['ev_points'] }, 'p'>,
): Expression<SqlBool> {
  return eb.and([
    eb('p.active', '=', true),
    eb('p.maintenance', '=', false),
    eb.or([
      eb('p.state', '=', 'available'),
      eb.and([eb('p.state', '=', 'unknown'), eb('p.edge_id', 'is', null)]),
    ]),
  ]);
}

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

export function pointView(row: PointRow, connectors: ConnectorView[]): PointView {
  return {
    id: Number(row.id),
    stationId: Number(row.station_id),
    companyId: row.company_id,
    externalId: row.external_id,
    name: row.name,
    active: row.active,
    available: isAvailable(row),
    maintenance: {
      on: row.maintenance,
      reason: row.maintenance_reason,
      by: row.maintenance_by,
      at: row.maintenance_at?.toISOString() ?? null,
    },
    tariff: (row.tariff as Tariff | null) ?? null,
    charger:
      row.edge_id !== null && row.device_id !== null
        ? { edgeId: row.edge_id, deviceId: row.device_id }
        : null,
    state: row.state,
    stateAt: row.state_at?.toISOString() ?? null,
    faultCode: row.fault_code,
    powerW: row.power_w,
    sessionEnergyWh: num(row.session_energy_wh),
    energyTotalWh: num(row.energy_total_wh),
    connectors,
  };
}

/** Great-circle distance in km (haversine, mean Earth radius 6371 km). */
export function distanceKm(aLat: number, aLon: number, bLat: number, bLon: number): number {
  const rad = Math.PI / 180;
  const dLat = (bLat - aLat) * rad;
  const dLon = (bLon - aLon) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(aLat * rad) * Math.cos(bLat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The same distance in SQL over `s.latitude`, `s.longitude` (PGlite and PostgreSQL alike). */
export function distanceKmSql(lat: number, lon: number) {
  return sql<number>`2 * 6371 * asin(least(1, sqrt(power(sin(radians(s.latitude - ${lat}::float8) / 2), 2) + cos(radians(${lat}::float8)) * cos(radians(s.latitude)) * power(sin(radians(s.longitude - ${lon}::float8) / 2), 2))))`;
}
