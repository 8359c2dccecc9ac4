import { type Kysely, sql } from 'kysely';

/**
 * Charging sessions (docs/EV.md, "Sessions and pricing"): one row from plug-in to unplug of a
 * charging point, opened and closed from the point's live state (ev/sessions). Energy is the
 * difference of the charger's lifetime register (`energy_start_wh` → `energy_end_wh`), so a
 * session-energy register that resets, or a reading missed, changes nothing. At unplug the
 * session is priced with the tariff snapshot taken at its start (`price` = the lines, integer
 * centavos) and gets a Pix payload whose txid is unique per session.
 *
 * `ev_session_starts` is a remote start asked for and not yet taken by a session: who, which car,
 * which reservation; the session that opens on that point before `expires_at` is attributed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE ev_sessions (
      id bigserial PRIMARY KEY,
      point_id bigint NOT NULL REFERENCES ev_points (id),
      plate text,
      driver_id bigint REFERENCES ev_drivers (id) ON DELETE SET NULL,
      reservation_id bigint REFERENCES ev_reservations (id) ON DELETE SET NULL,
      state text NOT NULL CHECK (state IN ('active','finished','priced','void')),
      -- The first reading with the point occupied (preparing, charging, finishing).
      started_at timestamptz NOT NULL,
      charging_started_at timestamptz,
      charging_stopped_at timestamptz,
      -- The first reading with the point no longer occupied (unplug, fault, out of service).
      ended_at timestamptz,
      -- The lifetime register at the start and at the last reading, Wh.
      energy_start_wh bigint,
      energy_end_wh bigint,
      -- The charger's session register at the last reading (fallback without a lifetime register).
      session_energy_wh bigint,
      energy_wh bigint,
      max_power_w double precision,
      -- Energy since the start at instants ([{at, wh}]), for tariffs that split the session.
      samples jsonb NOT NULL DEFAULT '[]'::jsonb,
      last_reading_at timestamptz NOT NULL,
      started_by text NOT NULL,
      stopped_by text,
      tariff jsonb NOT NULL,
      time_zone text NOT NULL,
      price jsonb,
      total_centavos bigint,
      pix_txid text UNIQUE,
      pix_payload text,
      paid_at timestamptz,
      end_reason text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT ev_sessions_order CHECK (ended_at IS NULL OR ended_at >= started_at),
      CONSTRAINT ev_sessions_ended CHECK ((state = 'active') = (ended_at IS NULL)),
      CONSTRAINT ev_sessions_priced CHECK (state <> 'priced' OR total_centavos IS NOT NULL)
    )`.execute(db);
  // One open session per point, by construction.
  await sql`CREATE UNIQUE INDEX ev_sessions_one_open ON ev_sessions (point_id)
    WHERE state = 'active'`.execute(db);
  await sql`CREATE INDEX ev_sessions_point ON ev_sessions (point_id, id)`.execute(db);
  await sql`CREATE INDEX ev_sessions_driver ON ev_sessions (driver_id, id)`.execute(db);

  await sql`
    CREATE TABLE ev_session_starts (
      point_id bigint PRIMARY KEY REFERENCES ev_points (id) ON DELETE CASCADE,
      plate text NOT NULL,
      driver_id bigint REFERENCES ev_drivers (id) ON DELETE SET NULL,
      reservation_id bigint REFERENCES ev_reservations (id) ON DELETE SET NULL,
      requested_by text NOT NULL,
      requested_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      command_id text
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ev_session_starts').ifExists().execute();
  await db.schema.dropTable('ev_sessions').ifExists().execute();
}
