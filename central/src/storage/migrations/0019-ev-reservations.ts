import { type Kysely, sql } from 'kysely';

/**
 * Reservations (docs/EV.md, "Reservations"): a booking of one charging point for a time slot,
 * with OCPI 2.3 booking states and terms. The invariant lives here, not in code: no two live
 * bookings (PENDING, RESERVED, FULFILLED) of one point overlap, by an exclusion constraint over
 * (point_id =, period &&) (btree_gist, migration 0001). Periods are half-open `[start, end)`,
 * so back-to-back slots do not overlap. Every state change is a row of the transitions table.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE ev_reservations (
      id bigserial PRIMARY KEY,
      point_id bigint NOT NULL REFERENCES ev_points (id),
      plate text,
      driver_id bigint REFERENCES ev_drivers (id) ON DELETE SET NULL,
      period tstzrange NOT NULL,
      state text NOT NULL CHECK (state IN ('PENDING','RESERVED','FULFILLED','COMPLETED',
        'CANCELED','NO_SHOW','EXPIRED','REJECTED','FAILED')),
      hold_expires_at timestamptz,
      terms jsonb NOT NULL,
      cancel_reason text,
      canceled_by text,
      flagged_reason text,
      flagged_at timestamptz,
      -- What the driver owes: the terms' noshow_fee on NO_SHOW or a USER cancel after cancel_until_minutes.
      fee text,
      authorized_at timestamptz,
      charger_reserved_at timestamptz,
      charger_released_at timestamptz,
      request_id text,
      source text NOT NULL DEFAULT 'api'
        CHECK (source IN ('api','seed-a','seed-b','seed-c','planner')),
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT ev_reservations_period_bounded CHECK (
        NOT lower_inf(period) AND NOT upper_inf(period) AND NOT isempty(period)
        AND lower_inc(period) AND NOT upper_inc(period)),
      CONSTRAINT ev_reservations_hold CHECK (state <> 'PENDING' OR hold_expires_at IS NOT NULL),
      CONSTRAINT ev_reservations_request UNIQUE (source, request_id),
      CONSTRAINT ev_reservations_no_overlap EXCLUDE USING gist (point_id WITH =, period WITH &&)
        WHERE (state IN ('PENDING','RESERVED','FULFILLED'))
    )`.execute(db);
  await sql`CREATE INDEX ev_reservations_driver ON ev_reservations (driver_id, id)`.execute(db);
  await sql`CREATE INDEX ev_reservations_plate ON ev_reservations (plate, id)`.execute(db);
  // The monitor's scans: live bookings by their next deadline.
  await sql`CREATE INDEX ev_reservations_live_start ON ev_reservations (lower(period))
    WHERE state IN ('PENDING','RESERVED','FULFILLED')`.execute(db);

  await sql`
    CREATE TABLE ev_reservation_transitions (
      id bigserial PRIMARY KEY,
      reservation_id bigint NOT NULL REFERENCES ev_reservations (id) ON DELETE CASCADE,
      from_state text,
      to_state text NOT NULL,
      reason text,
      who text NOT NULL,
      at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX ev_reservation_transitions_of ON ev_reservation_transitions
    (reservation_id, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ev_reservation_transitions').ifExists().execute();
  await db.schema.dropTable('ev_reservations').ifExists().execute();
}
