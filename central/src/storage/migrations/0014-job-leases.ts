import { type Kysely, sql } from 'kysely';

/**
 * Jobs that never lose a slot (docs/JOBS.md): the run ledger becomes a lease per (job, slot) with
 * an owner and an expiry, retried with backoff when it fails; `billing_closes` records which
 * billing periods are due and which are closed, so the close catches up oldest first.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE job_runs
    ADD COLUMN status text NOT NULL DEFAULT 'done'
      CHECK (status IN ('running','done','failed','superseded')),
    ADD COLUMN owner text,
    ADD COLUMN lease_until timestamptz,
    ADD COLUMN attempts integer NOT NULL DEFAULT 1,
    ADD COLUMN next_attempt_at timestamptz`.execute(db);
  // Rows of the old ledger: unfinished ones were claimed by an instance that may be gone (lease
  // already expired: taken over); failed ones are retried now unless a later slot succeeded.
  await sql`UPDATE job_runs SET status = 'running', lease_until = started_at
    WHERE finished_at IS NULL`.execute(db);
  await sql`UPDATE job_runs SET status = 'failed', next_attempt_at = finished_at
    WHERE finished_at IS NOT NULL AND result ? 'error'`.execute(db);
  await sql`CREATE INDEX job_runs_pending ON job_runs (job, slot)
    WHERE status IN ('running','failed')`.execute(db);
  await sql`CREATE INDEX job_runs_started ON job_runs (started_at)`.execute(db);
  await db.schema
    .createTable('billing_closes')
    .addColumn('period', 'text', (c) => c.primaryKey())
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('closed_at', 'timestamptz')
    .addColumn('result', 'jsonb')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('billing_closes').ifExists().execute();
  await sql`DROP INDEX IF EXISTS job_runs_pending`.execute(db);
  await sql`DROP INDEX IF EXISTS job_runs_started`.execute(db);
  await sql`ALTER TABLE job_runs DROP COLUMN status, DROP COLUMN owner, DROP COLUMN lease_until,
    DROP COLUMN attempts, DROP COLUMN next_attempt_at`.execute(db);
}
