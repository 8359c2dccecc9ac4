import { type Kysely, type RawBuilder, sql } from 'kysely';
import {
  type EvPointState,
  type EvReservationState,
  preparedStatement,
  type Schema,
} from '../../storage/index.js';
import type { Slot } from './free-slots.js';
import { LIVE_STATES } from './states.js';
import type { BookingTerms } from './terms.js';

/** One reservation as the store reads it (periods as two instants). */
export interface ReservationRow {
  id: number;
  pointId: number;
  plate: string | null;
  driverId: number | null;
  start: Date;
  end: Date;
  state: EvReservationState;
  holdExpiresAt: Date | null;
  terms: BookingTerms;
  cancelReason: string | null;
  canceledBy: string | null;
  flaggedReason: string | null;
  flaggedAt: Date | null;
  fee: string | null;
  authorizedAt: Date | null;
  chargerReservedAt: Date | null;
  chargerReleasedAt: Date | null;
  requestId: string | null;
  source: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A committed state change: the row after it and the state before. */
export interface Transitioned {
  row: ReservationRow;
  from: EvReservationState | null;
  reason: string | null;
}

/** Which reservations a caller may see: all, one driver's, one company's points', or none. */
export type ReservationScope =
  | { kind: 'all' }
  | { kind: 'driver'; driverId: number }
  | { kind: 'company'; companyId: string }
  | { kind: 'none' };

const LIVE = sql.join(LIVE_STATES.map((s) => sql.lit(s)));

const COLUMNS = sql.raw(`id, point_id, plate, driver_id, lower(period) AS start_at,
  upper(period) AS end_at, state, hold_expires_at, terms, cancel_reason, canceled_by,
  flagged_reason, flagged_at, fee, authorized_at, charger_reserved_at, charger_released_at,
  request_id, source, created_at, updated_at`);

interface RawRow {
  id: string | number;
  point_id: string | number;
  plate: string | null;
  driver_id: string | number | null;
  start_at: Date | string;
  end_at: Date | string;
  state: EvReservationState;
  hold_expires_at: Date | string | null;
  terms: BookingTerms | string;
  cancel_reason: string | null;
  canceled_by: string | null;
  flagged_reason: string | null;
  flagged_at: Date | string | null;
  fee: string | null;
  authorized_at: Date | string | null;
  charger_reserved_at: Date | string | null;
  charger_released_at: Date | string | null;
  request_id: string | null;
  source: string;
  created_at: Date | string;
  updated_at: Date | string;
  from_state?: EvReservationState | null;
  reason?: string | null;
}

const date = (v: Date | string) => (v instanceof Date ? v : new Date(v));
const dateOrNull = (v: Date | string | null) => (v === null ? null : date(v));

function toRow(r: RawRow): ReservationRow {
  return {
    id: Number(r.id),
    pointId: Number(r.point_id),
    plate: r.plate,
    driverId: r.driver_id === null ? null : Number(r.driver_id),
    start: date(r.start_at),
    end: date(r.end_at),
    state: r.state,
    holdExpiresAt: dateOrNull(r.hold_expires_at),
    terms: typeof r.terms === 'string' ? (JSON.parse(r.terms) as BookingTerms) : r.terms,
    cancelReason: r.cancel_reason,
    canceledBy: r.canceled_by,
    flaggedReason: r.flagged_reason,
    flaggedAt: dateOrNull(r.flagged_at),
    fee: r.fee,
    authorizedAt: dateOrNull(r.authorized_at),
    chargerReservedAt: dateOrNull(r.charger_reserved_at),
    chargerReleasedAt: dateOrNull(r.charger_released_at),
    requestId: r.request_id,
    source: r.source,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

const iso = (d: Date) => d.toISOString();

export interface NewBooking {
  pointId: number;
  plate: string | null;
  driverId: number | null;
  start: Date;
  end: Date;
  state: 'PENDING' | 'RESERVED';
  holdExpiresAt: Date | null;
  terms: BookingTerms;
  requestId: string | null;
  source: string;
  who: string;
  at: Date;
}

/**
 * A booking and its first transition in one statement (one round trip), only when the point is
 * active, not in maintenance and not faulted or unavailable. Prepared (storage/prepared.ts): the
 * text is fixed, so PostgreSQL and PGlite parse and plan it once per connection instead of at
 * every booking (planning it was most of its server time; docs/BENCHMARKS.md "reservations").
 * $1 point, $2 plate, $3 driver, $4 start, $5 end, $6 state, $7 hold expiry, $8 terms, $9
 * request id, $10 source, $11 the time of the change, $12 who.
 */
const bookingText = (onConflict: string) => `
  WITH ins AS (
    INSERT INTO ev_reservations (point_id, plate, driver_id, period, state, hold_expires_at,
      terms, request_id, source, created_at, updated_at)
    SELECT p.id, $2::text, $3::bigint, tstzrange($4::timestamptz, $5::timestamptz, '[)'),
      $6::text, $7::timestamptz, $8::jsonb, $9::text, $10::text, $11::timestamptz, $11::timestamptz
    FROM ev_points p
    WHERE p.id = $1::bigint AND p.active AND NOT p.maintenance
      AND p.state NOT IN ('faulted', 'unavailable')
    ${onConflict}
    RETURNING id, state
  ), audit AS (
    INSERT INTO ev_reservation_transitions (reservation_id, from_state, to_state, reason, who, at)
    SELECT id, NULL, state, NULL, $12::text, $11::timestamptz FROM ins
  )
  SELECT id FROM ins`;
/** Without a request id nothing can conflict on the request key (NULLs are distinct). */
const bookStatement = preparedStatement('ev_book', bookingText(''));
const bookOnceStatement = preparedStatement(
  'ev_book_once',
  bookingText('ON CONFLICT (source, request_id) DO NOTHING'),
);

/**
 * Inserts a booking and its first transition (see bookingText). Resolves null when the point is
 * not bookable, or (with a request id) when that request already made one; throws the
 * database's exclusion violation (SQLSTATE 23P01) when the period overlaps a live booking of the
 * point.
 *
 * Only the new id comes back: every other column of the new row is what was sent (the rest are
 * NULL), so the row is built here instead of parsed back (21 columns, 9 of them timestamps, were
 * most of a booking's client-side cost under load; docs/BENCHMARKS.md "reservations").
 */
export async function insertBooking(
  db: Kysely<Schema>,
  b: NewBooking,
  termsJson: string = JSON.stringify(b.terms),
): Promise<ReservationRow | null> {
  const at = iso(b.at);
  const statement = b.requestId === null ? bookStatement : bookOnceStatement;
  const { rows } = await db.executeQuery<{ id: string | number }>(
    statement([
      b.pointId,
      b.plate,
      b.driverId,
      iso(b.start),
      iso(b.end),
      b.state,
      b.holdExpiresAt ? iso(b.holdExpiresAt) : null,
      termsJson,
      b.requestId,
      b.source,
      at,
      b.who,
    ]),
  );
  const inserted = rows[0];
  if (!inserted) return null;
  return {
    id: Number(inserted.id),
    pointId: b.pointId,
    plate: b.plate,
    driverId: b.driverId,
    start: b.start,
    end: b.end,
    state: b.state,
    holdExpiresAt: b.holdExpiresAt,
    terms: b.terms,
    cancelReason: null,
    canceledBy: null,
    flaggedReason: null,
    flaggedAt: null,
    fee: null,
    authorizedAt: null,
    chargerReservedAt: null,
    chargerReleasedAt: null,
    requestId: b.requestId,
    source: b.source,
    createdAt: b.at,
    updatedAt: b.at,
  };
}

/** A raw insert into the same constrained table (the bench's baseline): no checks, no audit. */
export async function rawInsert(
  db: Kysely<Schema>,
  pointId: number,
  start: Date,
  end: Date,
  at: Date,
): Promise<void> {
  await sql`INSERT INTO ev_reservations (point_id, period, state, terms, created_at, updated_at)
    VALUES (${pointId}, tstzrange(${iso(start)}::timestamptz, ${iso(end)}::timestamptz, '[)'),
      'RESERVED', '{}'::jsonb, ${iso(at)}::timestamptz, ${iso(at)}::timestamptz)`.execute(db);
}

/** True when `err` is PostgreSQL's exclusion violation (SQLSTATE 23P01) on PGlite or pg. */
export function isOverlapError(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '23P01';
}

export interface PointFacts {
  id: number;
  companyId: string;
  active: boolean;
  maintenance: boolean;
  state: EvPointState;
  stateAt: Date | null;
  edgeId: string | null;
  deviceId: string | null;
}

export async function pointFacts(db: Kysely<Schema>, pointId: number): Promise<PointFacts | null> {
  const r = await db
    .selectFrom('ev_points as p')
    .innerJoin('ev_stations as s', 's.id', 'p.station_id')
    .select([
      'p.id',
      's.company_id',
      'p.active',
      'p.maintenance',
      'p.state',
      'p.state_at',
      'p.edge_id',
      'p.device_id',
    ])
    .where('p.id', '=', pointId)
    .executeTakeFirst();
  if (!r) return null;
  return {
    id: Number(r.id),
    companyId: r.company_id,
    active: r.active,
    maintenance: r.maintenance,
    state: r.state,
    stateAt: r.state_at ? new Date(r.state_at) : null,
    edgeId: r.edge_id,
    deviceId: r.device_id,
  };
}

/** The car's owner: a driver id, null for a car nobody owns, undefined for no such car. */
export async function carOwner(
  db: Kysely<Schema>,
  plate: string,
): Promise<number | null | undefined> {
  const r = await db
    .selectFrom('ev_cars')
    .select('driver_id')
    .where('plate', '=', plate)
    .executeTakeFirst();
  if (!r) return undefined;
  return r.driver_id === null ? null : Number(r.driver_id);
}

function scopeWhere(scope: ReservationScope): RawBuilder<unknown> {
  switch (scope.kind) {
    case 'all':
      return sql`TRUE`;
    case 'none':
      return sql`FALSE`;
    case 'driver':
      return sql`driver_id = ${scope.driverId}`;
    case 'company':
      return sql`point_id IN (SELECT p.id FROM ev_points p JOIN ev_stations s
        ON s.id = p.station_id WHERE s.company_id = ${scope.companyId})`;
  }
}

export async function getReservation(
  db: Kysely<Schema>,
  id: number,
  scope: ReservationScope = { kind: 'all' },
): Promise<ReservationRow | null> {
  const { rows } = await sql<RawRow>`SELECT ${COLUMNS} FROM ev_reservations
    WHERE id = ${id} AND ${scopeWhere(scope)}`.execute(db);
  return rows[0] ? toRow(rows[0]) : null;
}

export async function findByRequest(
  db: Kysely<Schema>,
  source: string,
  requestId: string,
): Promise<ReservationRow | null> {
  const { rows } = await sql<RawRow>`SELECT ${COLUMNS} FROM ev_reservations
    WHERE source = ${source} AND request_id = ${requestId}`.execute(db);
  return rows[0] ? toRow(rows[0]) : null;
}

export interface ListFilter {
  pointId?: number;
  state?: EvReservationState;
  plate?: string;
  /** Periods ending after this instant. */
  from?: Date;
  /** Periods starting before this instant. */
  to?: Date;
  /** Ids below this (the cursor). */
  before?: number;
  limit: number;
}

/** A page of reservations, newest first. */
export async function listReservations(
  db: Kysely<Schema>,
  filter: ListFilter,
  scope: ReservationScope,
): Promise<ReservationRow[]> {
  const where: RawBuilder<unknown>[] = [scopeWhere(scope)];
  if (filter.pointId !== undefined) where.push(sql`point_id = ${filter.pointId}`);
  if (filter.state !== undefined) where.push(sql`state = ${filter.state}`);
  if (filter.plate !== undefined) where.push(sql`plate = ${filter.plate}`);
  if (filter.from !== undefined) where.push(sql`upper(period) > ${iso(filter.from)}::timestamptz`);
  if (filter.to !== undefined) where.push(sql`lower(period) < ${iso(filter.to)}::timestamptz`);
  if (filter.before !== undefined) where.push(sql`id < ${filter.before}`);
  const { rows } = await sql<RawRow>`SELECT ${COLUMNS} FROM ev_reservations
    WHERE ${sql.join(where, sql` AND `)} ORDER BY id DESC LIMIT ${filter.limit}`.execute(db);
  return rows.map(toRow);
}

/** The live bookings of a point that end after `from` and start before `until`. */
export async function busyPeriods(
  db: Kysely<Schema>,
  pointId: number,
  from: Date,
  until: Date,
): Promise<Slot[]> {
  const { rows } = await sql<{ s: Date | string; e: Date | string }>`
    SELECT lower(period) AS s, upper(period) AS e FROM ev_reservations
    WHERE point_id = ${pointId} AND state IN (${LIVE})
      AND period && tstzrange(${iso(from)}::timestamptz, ${iso(until)}::timestamptz, '[)')
    ORDER BY lower(period)`.execute(db);
  return rows.map((r) => ({ start: date(r.s), end: date(r.e) }));
}

export interface TransitionSpec {
  /** Which rows: a condition on ev_reservations (unqualified columns). */
  where: RawBuilder<unknown>;
  to: EvReservationState;
  /** Extra assignments (`col = value`), e.g. cancel reason, fee, a cut period. */
  set?: RawBuilder<unknown>[];
  /** The audit reason: a constant or an expression over the row (e.g. the fee). */
  reason: string | null;
  who: string;
  at: Date;
}

/**
 * Moves every row matching `where` to `to` with its audit row, in one statement. Conditional:
 * rows are locked and re-checked, so when two centrals race only one moves a row (the other's
 * UPDATE finds the state changed and skips it). Returns what moved.
 */
export async function transition(
  db: Kysely<Schema>,
  spec: TransitionSpec,
): Promise<Transitioned[]> {
  const at = iso(spec.at);
  const set = [sql`state = ${spec.to}`, sql`updated_at = ${at}::timestamptz`, ...(spec.set ?? [])];
  const { rows } = await sql<RawRow>`
    WITH c AS (
      SELECT id, state AS old_state FROM ev_reservations WHERE ${spec.where} FOR UPDATE
    ), u AS (
      UPDATE ev_reservations r SET ${sql.join(set)} FROM c
      WHERE r.id = c.id AND r.state = c.old_state
      RETURNING r.*, c.old_state
    ), audit AS (
      INSERT INTO ev_reservation_transitions (reservation_id, from_state, to_state, reason, who, at)
      SELECT id, old_state, state, ${spec.reason}, ${spec.who}, ${at}::timestamptz FROM u
    )
    SELECT ${COLUMNS}, old_state AS from_state FROM u ORDER BY id`.execute(db);
  return rows.map((r) => ({ row: toRow(r), from: r.from_state ?? null, reason: spec.reason }));
}

/** Sets columns without a state change (flags, charger marks); conditional like transition. */
export async function patch(
  db: Kysely<Schema>,
  where: RawBuilder<unknown>,
  set: RawBuilder<unknown>[],
): Promise<ReservationRow[]> {
  const { rows } = await sql<RawRow>`UPDATE ev_reservations SET ${sql.join(set)}
    WHERE ${where} RETURNING ${COLUMNS}`.execute(db);
  return rows.map(toRow);
}

export interface TransitionRecord {
  from: EvReservationState | null;
  to: EvReservationState;
  reason: string | null;
  who: string;
  at: Date;
}

export async function transitionsOf(db: Kysely<Schema>, id: number): Promise<TransitionRecord[]> {
  const rows = await db
    .selectFrom('ev_reservation_transitions')
    .select(['from_state', 'to_state', 'reason', 'who', 'at'])
    .where('reservation_id', '=', id)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    from: r.from_state,
    to: r.to_state,
    reason: r.reason,
    who: r.who,
    at: new Date(r.at),
  }));
}

export { LIVE as LIVE_SQL };
