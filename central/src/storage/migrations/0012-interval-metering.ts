import { type Kysely, sql } from 'kysely';

/**
 * Interval meters (docs/METERING.md, "Interval amounts"): readings that carry `energy_interval`
 * (kWh since the meter's previous datagram) are added to the rollups by reading identity.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // How far each ingest stream's interval readings are added: every seq up to applied_seq is in
  // the rollups (a stream is stored strictly in seq order, so this is exact and exactly-once).
  await db.schema
    .createTable('interval_rollup_cursors')
    .addColumn('stream_id', 'integer', (c) => c.primaryKey().references('ingest_streams.id'))
    .addColumn('applied_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The interval rollup reads a stream's new interval readings by (stream_id, seq): this partial
  // index holds only those, so register readings cost the rollup nothing (and ingest one check).
  await sql`CREATE INDEX readings_interval_seq ON readings (stream_id, seq)
            WHERE values ? 'energy_interval'`.execute(db);
  // Per meter: the sub-Wh remainder not yet written to an hour (0–999 mWh) and how many interval
  // readings were ignored (bad quality, negative or not a number).
  await db.schema
    .alterTable('meter_rollup_state')
    .addColumn('interval_carry_mwh', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('meter_rollup_state')
    .addColumn('interval_ignored', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  // A missing interval: two consecutive usable interval readings further apart than the threshold.
  await db.schema
    .createTable('meter_interval_gaps')
    .addColumn('meter_id', 'integer', (c) => c.notNull().references('meters.id'))
    .addColumn('from_ts', 'timestamptz', (c) => c.notNull())
    .addColumn('to_ts', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('meter_interval_gaps_pk', ['meter_id', 'from_ts'])
    .addCheckConstraint('meter_interval_gaps_span', sql`to_ts > from_ts`)
    .execute();
  // Settings every rollup reads, whoever calls it (job, sweep, billing): one row, written at start.
  await db.schema
    .createTable('metering_settings')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('interval_gap_ms', 'bigint', (c) => c.notNull())
    // Interval amounts above this (mWh) are recorded as excess readings; null = none.
    .addColumn('excess_reading_mwh', 'bigint')
    .execute();
  // Single interval readings above the excess threshold (the consumption.excess alarm's events).
  await db.schema
    .createTable('meter_excess_readings')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('meter_id', 'integer', (c) => c.notNull().references('meters.id'))
    .addColumn('ts', 'timestamptz', (c) => c.notNull())
    .addColumn('mwh', 'bigint', (c) => c.notNull())
    .addColumn('threshold_mwh', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS readings_interval_seq`.execute(db);
  for (const t of [
    'meter_excess_readings',
    'metering_settings',
    'meter_interval_gaps',
    'interval_rollup_cursors',
  ])
    await db.schema.dropTable(t).ifExists().execute();
  for (const c of ['interval_ignored', 'interval_carry_mwh'])
    await db.schema.alterTable('meter_rollup_state').dropColumn(c).execute();
}
