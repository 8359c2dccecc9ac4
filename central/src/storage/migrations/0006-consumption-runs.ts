import { type Kysely, sql } from 'kysely';

/**
 * Runs of equal hourly energy: a long gap between two register readings is spread over its hours
 * as at most four blocks of equal Wh per hour (docs/METERING.md); blocks of a day or more are kept
 * here as one row each instead of one `consumption_hourly` row per hour. Readers add both.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Every hour h with start_hour <= h < end_hour (UTC, on the hour) has wh_per_hour Wh.
  await db.schema
    .createTable('consumption_runs')
    .addColumn('meter_id', 'integer', (c) => c.notNull().references('meters.id'))
    .addColumn('start_hour', 'timestamptz', (c) => c.notNull())
    .addColumn('end_hour', 'timestamptz', (c) => c.notNull())
    .addColumn('wh_per_hour', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('consumption_runs_pk', ['meter_id', 'start_hour'])
    .addCheckConstraint('consumption_runs_span', sql`end_hour > start_hour`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('consumption_runs').ifExists().execute();
}
