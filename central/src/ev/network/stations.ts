import { randomUUID } from 'node:crypto';
import { GridlinkError } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import type { Schema } from '../../storage/index.js';
import { addPoint, type NewPoint, pointsOfStations } from './points.js';
import { inScope, type NetworkScope } from './scope.js';
import { availableSql, distanceKm, distanceKmSql, type PointView } from './views.js';

export interface StationView {
  id: number;
  companyId: string;
  externalId: string;
  name: string;
  address: string | null;
  latitude: number;
  longitude: number;
  timeZone: string;
  points: number;
  availablePoints: number;
  /** From `near` when the list was asked with it. */
  distanceKm?: number;
  createdAt: string;
  updatedAt: string;
}

export type StationDetail = StationView & { pointList: PointView[] };

export interface StationFilter {
  companyId?: string;
  near?: { latitude: number; longitude: number; radiusKm: number };
  /** Only stations with at least one available point. */
  available?: boolean;
  limit: number;
  after?: number;
}

function scopedStations(db: Kysely<Schema>, scope: NetworkScope) {
  let q = db
    .selectFrom('ev_stations as s')
    .selectAll('s')
    .select((eb) => [
      eb
        .selectFrom('ev_points as p')
        .select((e) => e.fn.countAll<string>().as('n'))
        .whereRef('p.station_id', '=', 's.id')
        .as('point_count'),
      eb
        .selectFrom('ev_points as p')
        .select((e) => e.fn.countAll<string>().as('n'))
        .whereRef('p.station_id', '=', 's.id')
        .where((e) => availableSql(e as never))
        .as('available_count'),
    ]);
  if (scope.kind === 'none') q = q.where((eb) => eb.lit(false));
  if (scope.kind === 'company') q = q.where('s.company_id', '=', scope.companyId);
  return q;
}

type StationRow = Awaited<ReturnType<ReturnType<typeof scopedStations>['executeTakeFirstOrThrow']>>;

function view(row: StationRow): StationView {
  return {
    id: Number(row.id),
    companyId: row.company_id,
    externalId: row.external_id,
    name: row.name,
    address: row.address,
    latitude: row.latitude,
    longitude: row.longitude,
    timeZone: row.time_zone,
    points: Number(row.point_count ?? 0),
    availablePoints: Number(row.available_count ?? 0),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Stations in id order (keyset pages), filtered by company, distance and availability. */
export async function listStations(
  db: Kysely<Schema>,
  scope: NetworkScope,
  filter: StationFilter,
): Promise<{ items: StationView[]; next: string | null }> {
  let q = scopedStations(db, scope)
    .orderBy('s.id')
    .limit(filter.limit + 1);
  if (filter.after !== undefined) q = q.where('s.id', '>', filter.after);
  if (filter.companyId !== undefined) q = q.where('s.company_id', '=', filter.companyId);
  const near = filter.near;
  if (near) q = q.where(distanceKmSql(near.latitude, near.longitude), '<=', near.radiusKm);
  if (filter.available)
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('ev_points as p')
          .select('p.id')
          .whereRef('p.station_id', '=', 's.id')
          .where((e) => availableSql(e as never)),
      ),
    );
  const rows = await q.execute();
  const items = rows.slice(0, filter.limit).map((r) => {
    const v = view(r);
    if (near)
      v.distanceKm =
        Math.round(distanceKm(near.latitude, near.longitude, v.latitude, v.longitude) * 1000) /
        1000;
    return v;
  });
  return { items, next: rows.length > filter.limit ? String(items.at(-1)?.id) : null };
}

export async function getStation(
  db: Kysely<Schema>,
  scope: NetworkScope,
  id: number,
): Promise<StationDetail | undefined> {
  const row = await scopedStations(db, scope).where('s.id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return { ...view(row), pointList: await pointsOfStations(db, scope, [id]) };
}

/** An IANA zone name the runtime knows (`America/Bahia`). */
function checkTimeZone(zone: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    throw new GridlinkError(
      'GL_VALIDATION',
      `timeZone: "${zone.slice(0, 60)}" is not an IANA time zone`,
    );
  }
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(zone) && zone !== 'UTC')
    throw new GridlinkError(
      'GL_VALIDATION',
      `timeZone: "${zone.slice(0, 60)}" is not an IANA time zone`,
    );
  return zone;
}

function checkPlace(input: { latitude?: number; longitude?: number }) {
  if (
    input.latitude !== undefined &&
    !(Number.isFinite(input.latitude) && Math.abs(input.latitude) <= 90)
  )
    throw new GridlinkError('GL_VALIDATION', 'latitude: -90 to 90');
  if (
    input.longitude !== undefined &&
    !(Number.isFinite(input.longitude) && Math.abs(input.longitude) <= 180)
  )
    throw new GridlinkError('GL_VALIDATION', 'longitude: -180 to 180');
}

function checkText(field: string, value: string, max: number): string {
  const t = value.trim();
  if (t.length < 1 || t.length > max)
    throw new GridlinkError('GL_VALIDATION', `${field}: 1-${max} characters`);
  return t;
}

export interface NewStation {
  companyId: string;
  externalId?: string;
  name: string;
  address?: string | null;
  latitude: number;
  longitude: number;
  timeZone?: string;
  /** Default: one point with one default connector. */
  points?: NewPoint[];
}

export async function createStation(
  db: Kysely<Schema>,
  scope: NetworkScope,
  input: NewStation,
  now: Date,
): Promise<StationDetail> {
  if (!inScope(scope, input.companyId))
    throw new GridlinkError('GL_NOT_FOUND', `company ${input.companyId} not found`);
  const company = await db
    .selectFrom('ev_companies')
    .select('id')
    .where('id', '=', input.companyId)
    .executeTakeFirst();
  if (!company) throw new GridlinkError('GL_NOT_FOUND', `company ${input.companyId} not found`);
  checkPlace(input);
  const name = checkText('name', input.name, 200);
  const address = input.address == null ? null : checkText('address', input.address, 300);
  const timeZone = input.timeZone === undefined ? undefined : checkTimeZone(input.timeZone);
  if (input.externalId !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(input.externalId))
    throw new GridlinkError('GL_VALIDATION', 'externalId: 1-64 of A-Z a-z 0-9 . _ -');
  const points = input.points ?? [{ name: `${name} #1` }];
  if (points.length < 1 || points.length > 16)
    throw new GridlinkError('GL_VALIDATION', 'points: 1 to 16 per station');
  const externalId = input.externalId ?? `gl-${randomUUID()}`;
  const row = await db
    .insertInto('ev_stations')
    .values({
      company_id: input.companyId,
      external_id: externalId,
      name,
      address,
      latitude: input.latitude,
      longitude: input.longitude,
      ...(timeZone === undefined ? {} : { time_zone: timeZone }),
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['company_id', 'external_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!row)
    throw new GridlinkError(
      'GL_CONFLICT',
      `company ${input.companyId} already has a station with external id ${externalId}`,
    );
  const id = Number(row.id);
  try {
    for (const [i, p] of points.entries())
      await addPoint(db, scope, id, { externalId: String(i + 1), ...p }, now);
  } catch (err) {
    // A bad point leaves no station behind.
    await db.deleteFrom('ev_stations').where('id', '=', id).execute();
    throw err;
  }
  return (await getStation(db, scope, id)) as StationDetail;
}

export interface StationPatch {
  name?: string;
  address?: string | null;
  latitude?: number;
  longitude?: number;
  timeZone?: string;
}

export async function updateStation(
  db: Kysely<Schema>,
  scope: NetworkScope,
  id: number,
  patch: StationPatch,
  now: Date,
): Promise<StationDetail> {
  checkPlace(patch);
  const set: Partial<{
    name: string;
    address: string | null;
    latitude: number;
    longitude: number;
    time_zone: string;
  }> = {};
  if (patch.name !== undefined) set.name = checkText('name', patch.name, 200);
  if (patch.address !== undefined)
    set.address = patch.address === null ? null : checkText('address', patch.address, 300);
  if (patch.latitude !== undefined) set.latitude = patch.latitude;
  if (patch.longitude !== undefined) set.longitude = patch.longitude;
  if (patch.timeZone !== undefined) set.time_zone = checkTimeZone(patch.timeZone);
  let q = db
    .updateTable('ev_stations')
    .set({ ...set, updated_at: now })
    .where('id', '=', id);
  if (scope.kind === 'none') q = q.where(sql<boolean>`false`);
  if (scope.kind === 'company') q = q.where('company_id', '=', scope.companyId);
  const done = await q.executeTakeFirst();
  if (Number(done.numUpdatedRows) === 0)
    throw new GridlinkError('GL_NOT_FOUND', `station ${id} not found`);
  return (await getStation(db, scope, id)) as StationDetail;
}
