import { type Kysely, sql } from 'kysely';

/**
 * The device registry (docs/WIRE.md "Devices and their kinds"): one row per device an edge
 * reported, in its status or its telemetry, with its kind. Readings of a device that is not a
 * meter go to `readings` under the device (`device_ref`) instead of a meter: the table's primary
 * key (stream, seq) still stores every reading of a stream exactly once, and the meters' COPY
 * rows are unchanged.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('devices')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('edge_id', 'text', (c) => c.notNull().references('edges.id'))
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind IN ('meter','charger','car','other')`),
    )
    .addColumn('driver', 'text')
    .addColumn('profile', 'text')
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_reported_at', 'timestamptz')
    .addColumn('last_ok_at', 'timestamptz')
    .addColumn('online', 'boolean')
    .addUniqueConstraint('devices_edge_device', ['edge_id', 'device_id'])
    .execute();
  // Every meter so far was registered by its telemetry: it is a device of kind meter.
  await sql`
    INSERT INTO devices (edge_id, device_id, kind, first_seen_at)
    SELECT edge_id, device_id, 'meter', created_at FROM meters
  `.execute(db);
  await sql`ALTER TABLE readings ALTER COLUMN meter_id DROP NOT NULL`.execute(db);
  // No foreign key, as for meter_id: PostgreSQL checks one on every inserted row, a meter's
  // NULL included (~10 % of PGlite's COPY CPU). Both ids come only from the registry
  // (registerTelemetryDevices), and no device or meter row is ever deleted.
  await sql`ALTER TABLE readings ADD COLUMN device_ref integer`.execute(db);
  // Rows so far all have a meter; NOT VALID checks new rows without scanning the old ones.
  await sql`
    ALTER TABLE readings ADD CONSTRAINT readings_one_owner
    CHECK (num_nonnulls(meter_id, device_ref) = 1) NOT VALID
  `.execute(db);
  await sql`
    CREATE INDEX readings_device_ts ON readings (device_ref, ts) WHERE device_ref IS NOT NULL
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS readings_device_ts`.execute(db);
  await sql`DELETE FROM readings WHERE device_ref IS NOT NULL`.execute(db);
  await sql`ALTER TABLE readings DROP CONSTRAINT IF EXISTS readings_one_owner`.execute(db);
  await sql`ALTER TABLE readings DROP COLUMN IF EXISTS device_ref`.execute(db);
  await sql`ALTER TABLE readings ALTER COLUMN meter_id SET NOT NULL`.execute(db);
  await db.schema.dropTable('devices').ifExists().execute();
}
