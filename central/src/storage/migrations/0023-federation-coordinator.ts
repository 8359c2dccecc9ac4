import { type Kysely, sql } from 'kysely';

/**
 * Federation, the coordinator's side (docs/FEDERATION.md): the durable decision log
 * (`fed_transactions`, one per federated trip booking, and `fed_tx_branches`, one per stop), the
 * peers' catalogs copied for planning (`fed_remote_points`), and trip stops that may sit at a
 * peer (then `station_id` is null and `peer` + the peer's ids say where).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE fed_transactions (
      id text PRIMARY KEY,
      trip_id bigint REFERENCES ev_trips(id) ON DELETE SET NULL,
      state text NOT NULL CHECK (state IN ('trying','confirming','confirmed','canceling',
        'canceled','compensating','failed')),
      -- Holds asked of every participant last until this instant.
      hold_until timestamptz NOT NULL,
      decided_at timestamptz,
      finished_at timestamptz,
      reason text,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX fed_transactions_open ON fed_transactions (updated_at)
    WHERE state IN ('trying','confirming','canceling','compensating')`.execute(db);
  await sql`CREATE TABLE fed_tx_branches (
      tx_id text NOT NULL REFERENCES fed_transactions(id) ON DELETE CASCADE,
      branch_id text NOT NULL,
      -- null: this central itself (the local participant)
      peer text,
      company_id text NOT NULL,
      station_id bigint NOT NULL,
      point_id bigint NOT NULL,
      period tstzrange NOT NULL,
      state text NOT NULL CHECK (state IN ('pending','tried','try_failed','confirmed',
        'canceled')),
      reservation_id bigint,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz,
      last_error text,
      updated_at timestamptz NOT NULL,
      CONSTRAINT fed_tx_branches_pk PRIMARY KEY (tx_id, branch_id)
    )`.execute(db);
  await sql`CREATE TABLE fed_remote_points (
      peer text NOT NULL,
      company_id text NOT NULL,
      station_id bigint NOT NULL,
      station_name text NOT NULL,
      latitude double precision NOT NULL,
      longitude double precision NOT NULL,
      point_id bigint NOT NULL,
      point_name text NOT NULL,
      usable boolean NOT NULL,
      state text NOT NULL,
      power_kw double precision NOT NULL,
      price jsonb,
      -- Live bookings ahead, as the peer published them: [{start, end}] (ISO).
      busy jsonb NOT NULL DEFAULT '[]'::jsonb,
      synced_at timestamptz NOT NULL,
      CONSTRAINT fed_remote_points_pk PRIMARY KEY (peer, point_id)
    )`.execute(db);
  await sql`ALTER TABLE ev_trip_stops
      ALTER COLUMN station_id DROP NOT NULL,
      ADD COLUMN peer text,
      ADD COLUMN remote_station_id bigint,
      ADD COLUMN remote_point_id bigint,
      ADD COLUMN remote_reservation_id bigint,
      ADD CONSTRAINT ev_trip_stops_where CHECK (
        (peer IS NULL AND station_id IS NOT NULL) OR
        (peer IS NOT NULL AND remote_station_id IS NOT NULL))`.execute(db);
  await sql`ALTER TABLE ev_trips ADD COLUMN fed_tx_id text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE ev_trips DROP COLUMN IF EXISTS fed_tx_id`.execute(db);
  await sql`DELETE FROM ev_trip_stops WHERE peer IS NOT NULL`.execute(db);
  await sql`ALTER TABLE ev_trip_stops
      DROP CONSTRAINT IF EXISTS ev_trip_stops_where,
      DROP COLUMN IF EXISTS remote_reservation_id,
      DROP COLUMN IF EXISTS remote_point_id,
      DROP COLUMN IF EXISTS remote_station_id,
      DROP COLUMN IF EXISTS peer,
      ALTER COLUMN station_id SET NOT NULL`.execute(db);
  await sql`DROP TABLE IF EXISTS fed_remote_points`.execute(db);
  await sql`DROP TABLE IF EXISTS fed_tx_branches`.execute(db);
  await sql`DROP TABLE IF EXISTS fed_transactions`.execute(db);
}
