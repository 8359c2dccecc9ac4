import { type Kysely, sql } from 'kysely';

/**
 * Trip plans and availability watches (docs/EV.md, "Trip planner", "Notify when free").
 * A trip is one answer of the planner, kept with what it was asked (`request`) and the whole
 * plan (`plan`), owned by a driver or made by staff; its stops are rows so a booking made for a
 * stop is found from the reservation (federation, issue #21, builds on them). A re-plan is a new
 * trip pointing at the one it replaces. A watch asks to be told once when a point (or any point
 * of a station) becomes available; it is notified (`notified_at`) or expires (`expires_at`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ev_trips')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('driver_id', 'bigint', (c) => c.references('ev_drivers.id').onDelete('cascade'))
    .addColumn('plate', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('replaces_id', 'bigint', (c) => c.references('ev_trips.id').onDelete('set null'))
    .addColumn('depart_at', 'timestamptz', (c) => c.notNull())
    .addColumn('arrive_at', 'timestamptz', (c) => c.notNull())
    .addColumn('total_ms', 'bigint', (c) => c.notNull().check(sql`total_ms >= 0`))
    .addColumn('booked', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('request', 'jsonb', (c) => c.notNull())
    .addColumn('plan', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`CREATE INDEX ev_trips_driver ON ev_trips (driver_id, id)`.execute(db);

  await db.schema
    .createTable('ev_trip_stops')
    .addColumn('trip_id', 'bigint', (c) =>
      c.notNull().references('ev_trips.id').onDelete('cascade'),
    )
    .addColumn('seq', 'smallint', (c) => c.notNull().check(sql`seq >= 1`))
    .addColumn('station_id', 'bigint', (c) =>
      c.notNull().references('ev_stations.id').onDelete('cascade'),
    )
    .addColumn('arrive_at', 'timestamptz', (c) => c.notNull())
    .addColumn('charge_from', 'timestamptz', (c) => c.notNull())
    .addColumn('depart_at', 'timestamptz', (c) => c.notNull())
    .addColumn('arrival_soc_pct', 'double precision', (c) => c.notNull())
    .addColumn('departure_soc_pct', 'double precision', (c) => c.notNull())
    /** The point booked for this stop and its booking (ev_reservations), when the trip was booked. */
    .addColumn('point_id', 'bigint', (c) => c.references('ev_points.id').onDelete('set null'))
    .addColumn('reservation_id', 'bigint', (c) =>
      c.references('ev_reservations.id').onDelete('set null'),
    )
    .addPrimaryKeyConstraint('ev_trip_stops_pk', ['trip_id', 'seq'])
    .execute();

  await db.schema
    .createTable('ev_availability_watches')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('driver_id', 'bigint', (c) => c.references('ev_drivers.id').onDelete('cascade'))
    .addColumn('created_by', 'text', (c) => c.notNull())
    /** The car told on `carros/{plate}/avisos`; null: told through the API only. */
    .addColumn('plate', 'text')
    .addColumn('point_id', 'bigint', (c) => c.references('ev_points.id').onDelete('cascade'))
    .addColumn('station_id', 'bigint', (c) => c.references('ev_stations.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('notified_at', 'timestamptz')
    /** Which point was available when the watch was told. */
    .addColumn('notified_point_id', 'bigint')
    .addCheckConstraint(
      'ev_availability_watches_target',
      sql`(point_id IS NULL) <> (station_id IS NULL)`,
    )
    .addCheckConstraint('ev_availability_watches_expiry', sql`expires_at > created_at`)
    .execute();
  await sql`CREATE INDEX ev_availability_watches_driver ON ev_availability_watches (driver_id, id)`.execute(
    db,
  );
  await sql`CREATE INDEX ev_availability_watches_open ON ev_availability_watches (expires_at)
    WHERE notified_at IS NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ev_availability_watches').ifExists().execute();
  await db.schema.dropTable('ev_trip_stops').ifExists().execute();
  await db.schema.dropTable('ev_trips').ifExists().execute();
}
