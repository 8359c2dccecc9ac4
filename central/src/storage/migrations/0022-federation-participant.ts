import { type Kysely, sql } from 'kysely';

/**
 * Federation, the participant's side (docs/FEDERATION.md): peer tokens (api_tokens role `peer`,
 * subject = the peer's federation name), reservations made for a federated branch (source
 * `federation`), and the TCC fence log. One row per (coordinator, transaction, branch): a cancel
 * that arrives first leaves `suspended`, so the late try is refused; every repeat of a try,
 * confirm or cancel reads the row and answers the same.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE api_tokens DROP CONSTRAINT IF EXISTS api_tokens_role_check`.execute(db);
  await sql`ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check
    CHECK (role IN ('admin','operator','customer','driver','service','peer'))`.execute(db);
  await sql`ALTER TABLE ev_reservations DROP CONSTRAINT IF EXISTS ev_reservations_source_check`.execute(
    db,
  );
  await sql`ALTER TABLE ev_reservations ADD CONSTRAINT ev_reservations_source_check
    CHECK (source IN ('api','seed-a','seed-b','seed-c','planner','federation'))`.execute(db);
  await sql`CREATE TABLE fed_branches (
      coordinator text NOT NULL,
      tx_id text NOT NULL,
      branch_id text NOT NULL,
      state text NOT NULL
        CHECK (state IN ('tried','committed','rolled_back','suspended','compensated')),
      point_id bigint REFERENCES ev_points(id) ON DELETE SET NULL,
      period tstzrange,
      plate text,
      reservation_id bigint REFERENCES ev_reservations(id) ON DELETE SET NULL,
      hold_expires_at timestamptz,
      -- What the coordinator said of the trip (its trip id, the driver's display name): shown
      -- to our operators, never trusted for access.
      trip jsonb NOT NULL DEFAULT '{}'::jsonb,
      reason text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      CONSTRAINT fed_branches_pk PRIMARY KEY (coordinator, tx_id, branch_id)
    )`.execute(db);
  await sql`CREATE INDEX fed_branches_tried ON fed_branches (hold_expires_at)
    WHERE state = 'tried'`.execute(db);
  await sql`CREATE INDEX fed_branches_tx ON fed_branches (tx_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS fed_branches`.execute(db);
  await sql`DELETE FROM ev_reservations WHERE source = 'federation'`.execute(db);
  await sql`ALTER TABLE ev_reservations DROP CONSTRAINT IF EXISTS ev_reservations_source_check`.execute(
    db,
  );
  await sql`ALTER TABLE ev_reservations ADD CONSTRAINT ev_reservations_source_check
    CHECK (source IN ('api','seed-a','seed-b','seed-c','planner'))`.execute(db);
  await sql`DELETE FROM api_tokens WHERE role = 'peer'`.execute(db);
  await sql`ALTER TABLE api_tokens DROP CONSTRAINT IF EXISTS api_tokens_role_check`.execute(db);
  await sql`ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check
    CHECK (role IN ('admin','operator','customer','driver','service'))`.execute(db);
}
