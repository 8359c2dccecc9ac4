import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Schema } from '../../storage/index.js';
import type { BranchView, ParticipantBranchState } from '../wire.js';

/**
 * The participant's fence log (`fed_branches`, docs/FEDERATION.md; Seata's TCC fence). Every
 * write is one conditional statement keyed by (coordinator, txId, branchId): an insert that does
 * nothing when the row exists, or an update that moves only from the states it names. Two
 * deliveries of one message, or two centrals on one PostgreSQL, race on the row and exactly one
 * moves it; the loser reads the row and answers from it.
 */

export interface BranchKey {
  /** The coordinator's federation name (the peer token's subject, or our own for local stops). */
  coordinator: string;
  txId: string;
  branchId: string;
}

export interface BranchRow extends BranchKey {
  state: ParticipantBranchState;
  pointId: number | null;
  start: Date | null;
  end: Date | null;
  plate: string | null;
  reservationId: number | null;
  holdExpiresAt: Date | null;
  trip: unknown;
  reason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What a new row records (the try's facts; none for a cancel that came first). */
export interface NewBranch {
  state: ParticipantBranchState;
  pointId?: number | null;
  start?: Date | null;
  end?: Date | null;
  plate?: string | null;
  reservationId?: number | null;
  holdExpiresAt?: Date | null;
  trip?: unknown;
  reason?: string | null;
}

/** Reasons of a `rolled_back` row whose hold went away by itself: a confirm may re-book. */
export const HOLD_EXPIRED = 'hold-expired';
export const HOLD_LOST_PREFIX = 'hold-lost';
export const isHoldGone = (reason: string | null) =>
  reason === HOLD_EXPIRED || (reason?.startsWith(HOLD_LOST_PREFIX) ?? false);

const COLUMNS = sql.raw(`coordinator, tx_id, branch_id, state, point_id,
  lower(period) AS start_at, upper(period) AS end_at, plate, reservation_id, hold_expires_at,
  trip, reason, created_at, updated_at`);

interface RawRow {
  coordinator: string;
  tx_id: string;
  branch_id: string;
  state: ParticipantBranchState;
  point_id: string | number | null;
  start_at: Date | string | null;
  end_at: Date | string | null;
  plate: string | null;
  reservation_id: string | number | null;
  hold_expires_at: Date | string | null;
  trip: unknown;
  reason: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const date = (v: Date | string) => (v instanceof Date ? v : new Date(v));
const dateOrNull = (v: Date | string | null) => (v === null ? null : date(v));
const numOrNull = (v: string | number | null) => (v === null ? null : Number(v));
const iso = (d: Date) => d.toISOString();

function toRow(r: RawRow): BranchRow {
  return {
    coordinator: r.coordinator,
    txId: r.tx_id,
    branchId: r.branch_id,
    state: r.state,
    pointId: numOrNull(r.point_id),
    start: dateOrNull(r.start_at),
    end: dateOrNull(r.end_at),
    plate: r.plate,
    reservationId: numOrNull(r.reservation_id),
    holdExpiresAt: dateOrNull(r.hold_expires_at),
    trip: typeof r.trip === 'string' ? JSON.parse(r.trip) : r.trip,
    reason: r.reason,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

const keyWhere = (k: BranchKey) =>
  sql`coordinator = ${k.coordinator} AND tx_id = ${k.txId} AND branch_id = ${k.branchId}`;

/** An instant in whole seconds, as the wire writes it (`2027-01-04T13:00:00Z`). */
export const wireInstant = (d: Date) => d.toISOString().replace(/\.000Z$/, 'Z');

export function toBranchView(r: BranchRow): BranchView {
  return {
    coordinator: r.coordinator,
    txId: r.txId,
    branchId: r.branchId,
    state: r.state,
    pointId: r.pointId,
    start: r.start ? wireInstant(r.start) : null,
    end: r.end ? wireInstant(r.end) : null,
    reservationId: r.reservationId,
    holdExpiresAt: r.state === 'tried' && r.holdExpiresAt ? iso(r.holdExpiresAt) : null,
    reason: r.reason,
  };
}

export async function getBranch(db: Kysely<Schema>, k: BranchKey): Promise<BranchRow | null> {
  const { rows } = await sql<RawRow>`SELECT ${COLUMNS} FROM fed_branches
    WHERE ${keyWhere(k)}`.execute(db);
  return rows[0] ? toRow(rows[0]) : null;
}

/** Inserts the row unless one exists: the new row, or null (the caller reads the winner's). */
export async function insertBranch(
  db: Kysely<Schema>,
  k: BranchKey,
  b: NewBranch,
  at: Date,
): Promise<BranchRow | null> {
  const period =
    b.start && b.end
      ? sql`tstzrange(${iso(b.start)}::timestamptz, ${iso(b.end)}::timestamptz, '[)')`
      : sql`NULL`;
  const { rows } = await sql<RawRow>`
    INSERT INTO fed_branches (coordinator, tx_id, branch_id, state, point_id, period, plate,
      reservation_id, hold_expires_at, trip, reason, created_at, updated_at)
    VALUES (${k.coordinator}, ${k.txId}, ${k.branchId}, ${b.state}, ${b.pointId ?? null}, ${period},
      ${b.plate ?? null}, ${b.reservationId ?? null},
      ${b.holdExpiresAt ? iso(b.holdExpiresAt) : null}::timestamptz,
      ${JSON.stringify(b.trip ?? {})}::jsonb, ${b.reason ?? null},
      ${iso(at)}::timestamptz, ${iso(at)}::timestamptz)
    ON CONFLICT ON CONSTRAINT fed_branches_pk DO NOTHING
    RETURNING ${COLUMNS}`.execute(db);
  return rows[0] ? toRow(rows[0]) : null;
}

export interface Move {
  from: readonly ParticipantBranchState[];
  to: ParticipantBranchState;
  reason?: string | null;
  /** A new reservation (a re-book after the hold expired). */
  reservationId?: number;
  /** Only a rollback whose hold went by itself (a re-book moves nothing else). */
  holdGoneOnly?: boolean;
}

/**
 * Moves the row from one of `from` to `to`, in one conditional UPDATE. The moved row, or null
 * when it was not in `from` (someone else moved it first: read it again).
 */
export async function moveBranch(
  db: Kysely<Schema>,
  k: BranchKey,
  m: Move,
  at: Date,
): Promise<BranchRow | null> {
  const set = [
    sql`state = ${m.to}`,
    sql`updated_at = ${iso(at)}::timestamptz`,
    // Only a tried row holds a slot: the hold's end means nothing in any other state.
    ...(m.to === 'tried' ? [] : [sql`hold_expires_at = NULL`]),
    ...(m.reason === undefined ? [] : [sql`reason = ${m.reason}`]),
    ...(m.reservationId === undefined ? [] : [sql`reservation_id = ${m.reservationId}`]),
  ];
  const from = sql.join(m.from.map((s) => sql.lit(s)));
  const extra = m.holdGoneOnly
    ? sql`AND (reason = ${HOLD_EXPIRED} OR reason LIKE ${`${HOLD_LOST_PREFIX}%`})`
    : sql``;
  const { rows } = await sql<RawRow>`UPDATE fed_branches SET ${sql.join(set)}
    WHERE ${keyWhere(k)} AND state IN (${from}) ${extra}
    RETURNING ${COLUMNS}`.execute(db);
  return rows[0] ? toRow(rows[0]) : null;
}

/**
 * Tried rows whose reservation is gone by itself (the engine expired the hold, or canceled it
 * for a broken charger) become `rolled_back` with the reason (`hold-expired`,
 * `hold-lost: CANCELED BROKEN_CHARGER`): one conditional UPDATE over `where` (one branch, one
 * transaction's, or every tried row), so the fence reads as the reservations do on the next
 * message.
 */
export async function settleLostHolds(
  db: Kysely<Schema>,
  where: { key: BranchKey } | { txId: string } | 'all',
  at: Date,
): Promise<void> {
  const scope =
    where === 'all'
      ? sql`TRUE`
      : 'key' in where
        ? sql`b.coordinator = ${where.key.coordinator} AND b.tx_id = ${where.key.txId}
          AND b.branch_id = ${where.key.branchId}`
        : sql`b.tx_id = ${where.txId}`;
  await sql`UPDATE fed_branches b SET state = 'rolled_back', hold_expires_at = NULL,
      updated_at = ${iso(at)}::timestamptz,
      reason = CASE WHEN r.state = 'EXPIRED' THEN ${HOLD_EXPIRED}
        ELSE ${HOLD_LOST_PREFIX} || ': ' || r.state || COALESCE(' ' || r.cancel_reason, '') END
    FROM ev_reservations r
    WHERE ${scope} AND b.state = 'tried' AND r.id = b.reservation_id
      AND r.state NOT IN ('PENDING', 'RESERVED', 'FULFILLED')`.execute(db);
}

export interface BranchFilter {
  txId?: string;
  /** Only this coordinator's branches (a peer reads its own). */
  coordinator?: string;
  /** Only branches on this company's points (an operator of one company). */
  companyId?: string;
  limit: number;
}

export async function listBranches(db: Kysely<Schema>, f: BranchFilter): Promise<BranchRow[]> {
  const where: RawBuilder<unknown>[] = [sql`TRUE`];
  if (f.txId !== undefined) where.push(sql`tx_id = ${f.txId}`);
  if (f.coordinator !== undefined) where.push(sql`coordinator = ${f.coordinator}`);
  if (f.companyId !== undefined)
    where.push(sql`point_id IN (SELECT p.id FROM ev_points p JOIN ev_stations s
      ON s.id = p.station_id WHERE s.company_id = ${f.companyId})`);
  const { rows } = await sql<RawRow>`SELECT ${COLUMNS} FROM fed_branches
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY created_at DESC, coordinator, tx_id, branch_id LIMIT ${f.limit}`.execute(db);
  return rows.map(toRow);
}

/** The live reservation a try with this request id made, if any (a cancel that came first). */
export async function liveReservationOf(
  db: Kysely<Schema>,
  requestId: string,
): Promise<number | null> {
  const { rows } = await sql<{ id: string | number }>`SELECT id FROM ev_reservations
    WHERE source = 'federation' AND request_id = ${requestId}
      AND state IN ('PENDING', 'RESERVED')`.execute(db);
  return rows[0] ? Number(rows[0].id) : null;
}

/** A reservation's state now (null: no such row). */
export async function reservationState(
  db: Kysely<Schema>,
  id: number,
): Promise<{ state: string; holdExpiresAt: Date | null } | null> {
  const { rows } = await sql<{ state: string; hold_expires_at: Date | string | null }>`
    SELECT state, hold_expires_at FROM ev_reservations WHERE id = ${id}`.execute(db);
  const r = rows[0];
  return r ? { state: r.state, holdExpiresAt: dateOrNull(r.hold_expires_at) } : null;
}
