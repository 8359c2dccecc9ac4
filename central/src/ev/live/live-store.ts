import { GridlinkError, type Reading } from '@gridlink/shared';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { EvPointState, Schema } from '../../storage/index.js';
import { type Availability, availabilityOf } from './availability.js';
import { type ChargerFacts, chargerFacts, dialectOf } from './charger-state.js';

/** Who changes a point: recorded as `by`; `companyId` scopes an operator to its company. */
export interface LiveActor {
  /** e.g. `operator:3f2a…` (role and token id); stored as maintenance_by. */
  by: string;
  /** An operator whose token names a company manages only that company's points; null = all. */
  companyId: string | null;
}

/** A point's live columns as the API and the events read them. */
export interface PointLive {
  pointId: number;
  stationId: number;
  companyId: string;
  active: boolean;
  maintenance: boolean;
  maintenanceReason: string | null;
  maintenanceBy: string | null;
  maintenanceAt: Date | null;
  charger: { edgeId: string; deviceId: string } | null;
  state: EvPointState;
  stateAt: Date | null;
  faultCode: number | null;
  powerW: number | null;
  sessionEnergyWh: number | null;
  energyTotalWh: number | null;
}

type Db = Kysely<Schema> | Transaction<Schema>;

const POINT_COLUMNS = [
  'p.id',
  'p.station_id',
  's.company_id',
  'p.active',
  'p.maintenance',
  'p.maintenance_reason',
  'p.maintenance_by',
  'p.maintenance_at',
  'p.edge_id',
  'p.device_id',
  'p.state',
  'p.state_at',
  'p.fault_code',
  'p.power_w',
  'p.session_energy_wh',
  'p.energy_total_wh',
] as const;

const nullableNumber = (v: string | number | null): number | null =>
  v === null ? null : Number(v);
const nullableDate = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

interface PointRow {
  id: string | number;
  station_id: string | number;
  company_id: string;
  active: boolean;
  maintenance: boolean;
  maintenance_reason: string | null;
  maintenance_by: string | null;
  maintenance_at: Date | string | null;
  edge_id: string | null;
  device_id: string | null;
  state: EvPointState;
  state_at: Date | string | null;
  fault_code: number | null;
  power_w: number | null;
  session_energy_wh: string | number | null;
  energy_total_wh: string | number | null;
}

function toLive(r: PointRow): PointLive {
  return {
    pointId: Number(r.id),
    stationId: Number(r.station_id),
    companyId: r.company_id,
    active: r.active,
    maintenance: r.maintenance,
    maintenanceReason: r.maintenance_reason,
    maintenanceBy: r.maintenance_by,
    maintenanceAt: nullableDate(r.maintenance_at),
    charger:
      r.edge_id !== null && r.device_id !== null
        ? { edgeId: r.edge_id, deviceId: r.device_id }
        : null,
    state: r.state,
    stateAt: nullableDate(r.state_at),
    faultCode: r.fault_code,
    powerW: r.power_w,
    sessionEnergyWh: nullableNumber(r.session_energy_wh),
    energyTotalWh: nullableNumber(r.energy_total_wh),
  };
}

/** One point's live columns, locked when `forUpdate`; undefined when absent or not the actor's. */
async function loadPoint(
  db: Db,
  pointId: number,
  companyId: string | null,
  forUpdate = false,
): Promise<PointLive | undefined> {
  let q = db
    .selectFrom('ev_points as p')
    .innerJoin('ev_stations as s', 's.id', 'p.station_id')
    .select(POINT_COLUMNS)
    .where('p.id', '=', pointId);
  if (companyId !== null) q = q.where('s.company_id', '=', companyId);
  if (forUpdate) q = q.forUpdate('p');
  const row = await q.executeTakeFirst();
  return row ? toLive(row as PointRow) : undefined;
}

export function getPointLive(
  db: Kysely<Schema>,
  pointId: number,
  companyId: string | null = null,
): Promise<PointLive | undefined> {
  return loadPoint(db, pointId, companyId);
}

const notFound = (pointId: number) =>
  new GridlinkError('GL_NOT_FOUND', `charging point ${pointId} not found`);

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

/** A change to one point, committed: the row before and after. */
export interface PointChange {
  before: PointLive;
  after: PointLive;
}

/**
 * Binds the charger `deviceId` an edge reported (devices row, kind `charger`) to the point. The
 * point's live state starts over (`unknown` until the charger's first reading). Binding the same
 * device again is a no-op; a device bound to another point is GL_EV_DEVICE_BOUND (unbind it
 * there first), one the edge never reported GL_EV_DEVICE_UNKNOWN, another kind
 * GL_EV_DEVICE_NOT_CHARGER.
 */
export async function bindCharger(
  db: Kysely<Schema>,
  pointId: number,
  charger: { edgeId: string; deviceId: string },
  actor: LiveActor,
  now: Date,
): Promise<PointChange> {
  try {
    return await db.transaction().execute(async (trx) => {
      const before = await loadPoint(trx, pointId, actor.companyId, true);
      if (!before) throw notFound(pointId);
      const device = await trx
        .selectFrom('devices')
        .select(['kind'])
        .where('edge_id', '=', charger.edgeId)
        .where('device_id', '=', charger.deviceId)
        .executeTakeFirst();
      if (!device)
        throw new GridlinkError(
          'GL_EV_DEVICE_UNKNOWN',
          `edge ${charger.edgeId} has reported no device ${charger.deviceId}`,
          { edgeId: charger.edgeId, deviceId: charger.deviceId },
        );
      if (device.kind !== 'charger')
        throw new GridlinkError(
          'GL_EV_DEVICE_NOT_CHARGER',
          `device ${charger.deviceId} of edge ${charger.edgeId} is a ${device.kind}, not a charger`,
          { edgeId: charger.edgeId, deviceId: charger.deviceId, kind: device.kind },
        );
      if (before.charger?.edgeId === charger.edgeId && before.charger.deviceId === charger.deviceId)
        return { before, after: before };
      const other = await trx
        .selectFrom('ev_points')
        .select('id')
        .where('edge_id', '=', charger.edgeId)
        .where('device_id', '=', charger.deviceId)
        .executeTakeFirst();
      if (other) throw boundElsewhere(charger, Number(other.id));
      await trx
        .updateTable('ev_points')
        .set({
          edge_id: charger.edgeId,
          device_id: charger.deviceId,
          ...RESET_LIVE,
          updated_at: now,
        })
        .where('id', '=', pointId)
        .execute();
      return { before, after: (await loadPoint(trx, pointId, null)) as PointLive };
    });
  } catch (err) {
    // Two binds of one device at once: the unique (edge_id, device_id) refuses the second.
    if (isUniqueViolation(err)) throw boundElsewhere(charger, null);
    throw err;
  }
}

const RESET_LIVE = {
  state: 'unknown' as const,
  state_at: null,
  fault_code: null,
  power_w: null,
  session_energy_wh: null,
  energy_total_wh: null,
};

function boundElsewhere(charger: { edgeId: string; deviceId: string }, pointId: number | null) {
  return new GridlinkError(
    'GL_EV_DEVICE_BOUND',
    `device ${charger.deviceId} of edge ${charger.edgeId} is bound to ${pointId === null ? 'another point' : `point ${pointId}`}; unbind it there first`,
    { edgeId: charger.edgeId, deviceId: charger.deviceId, pointId },
  );
}

/** Unbinds the point's charger (a no-op when none): the point's live state is `unknown` again. */
export async function unbindCharger(
  db: Kysely<Schema>,
  pointId: number,
  actor: LiveActor,
  now: Date,
): Promise<PointChange> {
  return db.transaction().execute(async (trx) => {
    const before = await loadPoint(trx, pointId, actor.companyId, true);
    if (!before) throw notFound(pointId);
    if (!before.charger) return { before, after: before };
    await trx
      .updateTable('ev_points')
      .set({ edge_id: null, device_id: null, ...RESET_LIVE, updated_at: now })
      .where('id', '=', pointId)
      .execute();
    return { before, after: (await loadPoint(trx, pointId, null)) as PointLive };
  });
}

/** Sets or clears maintenance, recording who, when and why (the reason is cleared with it). */
export async function setMaintenance(
  db: Kysely<Schema>,
  pointId: number,
  on: boolean,
  reason: string | null,
  actor: LiveActor,
  now: Date,
): Promise<PointChange> {
  return db.transaction().execute(async (trx) => {
    const before = await loadPoint(trx, pointId, actor.companyId, true);
    if (!before) throw notFound(pointId);
    await trx
      .updateTable('ev_points')
      .set({
        maintenance: on,
        maintenance_reason: on ? reason : null,
        maintenance_by: actor.by,
        maintenance_at: now,
        updated_at: now,
      })
      .where('id', '=', pointId)
      .execute();
    return { before, after: (await loadPoint(trx, pointId, null)) as PointLive };
  });
}

/** A bound charger of an edge: the point and how to read its status. */
export interface BoundCharger {
  pointId: number;
  deviceId: string;
  profile: string | null;
  driver: string | null;
}

/** The points bound to those devices of the edge (one query per committed charger batch). */
export async function boundChargers(
  db: Kysely<Schema>,
  edgeId: string,
  deviceIds: readonly string[],
): Promise<BoundCharger[]> {
  if (deviceIds.length === 0) return [];
  const rows = await db
    .selectFrom('ev_points as p')
    .innerJoin('devices as d', (j) =>
      j.onRef('d.edge_id', '=', 'p.edge_id').onRef('d.device_id', '=', 'p.device_id'),
    )
    .select(['p.id', 'p.device_id', 'd.profile', 'd.driver'])
    .where('p.edge_id', '=', edgeId)
    .where('p.device_id', 'in', deviceIds)
    .execute();
  return rows.map((r) => ({
    pointId: Number(r.id),
    deviceId: r.device_id as string,
    profile: r.profile,
    driver: r.driver,
  }));
}

/** One reading applied: its time, its facts and the state the point had after it. */
export interface AppliedReading {
  at: Date;
  facts: ChargerFacts;
  from: EvPointState;
  to: EvPointState;
}

/**
 * Applies a bound charger's readings to its point, in time order, in one transaction with the
 * row locked. A reading not newer than the point's `state_at` is skipped (an out-of-order batch
 * after an outage, or a redelivery), so nothing moves the point back. Fields a reading lacks keep
 * their value. Returns undefined when the point is no longer bound to that device.
 */
export async function applyReadings(
  db: Kysely<Schema>,
  charger: BoundCharger & { edgeId: string },
  readings: readonly Reading[],
  now: Date,
): Promise<(PointChange & { applied: AppliedReading[] }) | undefined> {
  const dialect = dialectOf(charger);
  return db.transaction().execute(async (trx) => {
    const before = await loadPoint(trx, charger.pointId, null, true);
    if (
      !before ||
      before.charger?.edgeId !== charger.edgeId ||
      before.charger.deviceId !== charger.deviceId
    )
      return undefined;
    const sorted = readings
      .filter((r) => r.deviceId === charger.deviceId && r.quality !== 'bad')
      .sort((a, b) => a.ts - b.ts);
    let cur = before;
    const applied: AppliedReading[] = [];
    for (const r of sorted) {
      if (cur.stateAt !== null && r.ts <= cur.stateAt.getTime()) continue;
      const facts = chargerFacts(dialect, r.values);
      const to = facts.state ?? cur.state;
      applied.push({ at: new Date(r.ts), facts, from: cur.state, to });
      cur = {
        ...cur,
        state: to,
        stateAt: new Date(r.ts),
        faultCode: facts.faultCode ?? cur.faultCode,
        powerW: facts.powerW ?? cur.powerW,
        sessionEnergyWh: facts.sessionEnergyWh ?? cur.sessionEnergyWh,
        energyTotalWh: facts.energyTotalWh ?? cur.energyTotalWh,
      };
    }
    if (applied.length === 0) return { before, after: before, applied };
    await trx
      .updateTable('ev_points')
      .set({
        state: cur.state,
        state_at: cur.stateAt,
        fault_code: cur.faultCode,
        power_w: cur.powerW,
        session_energy_wh: cur.sessionEnergyWh,
        energy_total_wh: cur.energyTotalWh,
        updated_at: now,
      })
      .where('id', '=', charger.pointId)
      .execute();
    return { before, after: cur, applied };
  });
}

/**
 * Bound points whose charger (or its edge) was reported offline after the point's last reading:
 * set to `unknown` with `state_at` = that report, so older readings cannot bring back the state
 * the charger had, and its next reading (newer) does. Returns the changes.
 */
export async function markOffline(db: Kysely<Schema>, now: Date): Promise<PointChange[]> {
  const rows = await sql<{ id: string | number; reported: Date | string }>`
    SELECT p.id,
           greatest(CASE WHEN d.online = false THEN d.last_reported_at END,
                    CASE WHEN (e.status ->> 'online') = 'false' THEN e.last_seen_at END) AS reported
    FROM ev_points p
    JOIN devices d ON d.edge_id = p.edge_id AND d.device_id = p.device_id
    JOIN edges e ON e.id = p.edge_id
    WHERE p.state <> 'unknown'
      AND ((d.online = false AND d.last_reported_at > coalesce(p.state_at, '-infinity'))
        OR ((e.status ->> 'online') = 'false' AND e.last_seen_at > coalesce(p.state_at, '-infinity')))
    ORDER BY p.id`.execute(db);
  const changes: PointChange[] = [];
  for (const r of rows.rows) {
    const reported = new Date(r.reported);
    const change = await db.transaction().execute(async (trx) => {
      const before = await loadPoint(trx, Number(r.id), null, true);
      if (!before || before.state === 'unknown') return undefined;
      if (before.stateAt !== null && before.stateAt >= reported) return undefined;
      await trx
        .updateTable('ev_points')
        .set({ state: 'unknown', state_at: reported, power_w: null, updated_at: now })
        .where('id', '=', before.pointId)
        .execute();
      const after: PointLive = { ...before, state: 'unknown', stateAt: reported, powerW: null };
      return { before, after };
    });
    if (change) changes.push(change);
  }
  return changes;
}

/** Every point's availability (start-up republish, the reconcile tick), in id order. */
export async function allAvailability(db: Kysely<Schema>): Promise<Availability[]> {
  const rows = await db
    .selectFrom('ev_points')
    .select(['id', 'active', 'maintenance', 'state', 'edge_id'])
    .orderBy('id')
    .execute();
  return rows.map((r) =>
    availabilityOf({
      pointId: Number(r.id),
      active: r.active,
      maintenance: r.maintenance,
      state: r.state,
      bound: r.edge_id !== null,
    }),
  );
}
