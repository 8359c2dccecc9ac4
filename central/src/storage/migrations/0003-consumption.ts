import { type Kysely, sql } from 'kysely';

/** Hourly consumption rollups, the per-meter rollup watermark, and register resets. */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Energy of each UTC hour [hour, hour + 1 h) in Wh, from differences of the cumulative register.
  await db.schema
    .createTable('consumption_hourly')
    .addColumn('meter_id', 'integer', (c) => c.notNull().references('meters.id'))
    .addColumn('hour', 'timestamptz', (c) => c.notNull())
    .addColumn('wh', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('consumption_hourly_pk', ['meter_id', 'hour'])
    .execute();
  // How far each meter is rolled up: the last reading used and its register value.
  await db.schema
    .createTable('meter_rollup_state')
    .addColumn('meter_id', 'integer', (c) => c.primaryKey().references('meters.id'))
    .addColumn('last_ts', 'timestamptz')
    .addColumn('last_wh', 'bigint')
    // The values of the newest reading (voltages for the alarm sweep).
    .addColumn('last_values', 'jsonb')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // A cumulative register that went backwards: reset, replacement or tampering.
  await db.schema
    .createTable('meter_register_events')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('meter_id', 'integer', (c) => c.notNull().references('meters.id'))
    .addColumn('ts', 'timestamptz', (c) => c.notNull())
    .addColumn('previous_wh', 'bigint', (c) => c.notNull())
    .addColumn('new_wh', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('meter_register_events_meter')
    .on('meter_register_events')
    .columns(['meter_id', 'ts'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['meter_register_events', 'meter_rollup_state', 'consumption_hourly'])
    await db.schema.dropTable(t).ifExists().execute();
}
