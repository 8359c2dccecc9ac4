import { type Kysely, sql } from 'kysely';

/**
 * Drivers and their cars (docs/EV.md, "Cars"). A driver signs in with its CPF/CNPJ and a
 * password (scrypt, customers/passwords.ts). A car is keyed by its plate, upper case without a
 * dash, old (`ABC1234`) or Mercosul (`ABC1D23`) format; a driver owns it, or nobody does yet (a
 * car the broker let publish before anyone registered it). Its last report (seed A's
 * `carros/{placa}/status` and `/bateria`) sits on the row; every report is kept in
 * `ev_car_states`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ev_drivers')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    /** CPF (11 digits) or CNPJ (14), normalized (shared/src/documents). */
    .addColumn('document', 'text', (c) =>
      c.notNull().unique().check(sql`document ~ '^([0-9]{11}|[0-9]{14})$'`),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('ev_cars')
    .addColumn('plate', 'text', (c) =>
      c.primaryKey().check(sql`plate ~ '^[A-Z]{3}[0-9][A-Z0-9][0-9]{2}$'`),
    )
    .addColumn('driver_id', 'bigint', (c) => c.references('ev_drivers.id').onDelete('set null'))
    /** A seed model name (car_models.json) or free text; null until someone says. */
    .addColumn('model', 'text')
    .addColumn('battery_kwh', 'double precision', (c) =>
      c.check(sql`battery_kwh > 0 AND battery_kwh <= 1000`),
    )
    .addColumn('consumption_kwh_per_km', 'double precision', (c) =>
      c.check(sql`consumption_kwh_per_km > 0 AND consumption_kwh_per_km <= 10`),
    )
    .addColumn('last_battery_pct', 'double precision', (c) =>
      c.check(sql`last_battery_pct BETWEEN 0 AND 100`),
    )
    .addColumn('last_charging', 'boolean')
    .addColumn('last_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('ev_car_states')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('plate', 'text', (c) => c.notNull().references('ev_cars.plate').onDelete('cascade'))
    /** When the car says it measured (`bateria`'s timestamp), else when the central received it. */
    .addColumn('ts', 'timestamptz', (c) => c.notNull())
    /** Which topic: `status` or `bateria`. */
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source IN ('status','bateria')`))
    .addColumn('battery_pct', 'double precision', (c) =>
      c.notNull().check(sql`battery_pct BETWEEN 0 AND 100`),
    )
    .addColumn('charging', 'boolean', (c) => c.notNull())
    /** `bateria` only: stored energy (kWh), range left (km), charging power (kW). */
    .addColumn('energy_kwh', 'double precision')
    .addColumn('range_km', 'double precision')
    .addColumn('power_kw', 'double precision')
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await sql`CREATE INDEX ev_car_states_plate_ts ON ev_car_states (plate, ts)`.execute(db);
  await sql`CREATE INDEX ev_car_states_received ON ev_car_states (received_at)`.execute(db);
  await sql`CREATE INDEX ev_cars_driver ON ev_cars (driver_id, plate)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ev_car_states').ifExists().execute();
  await db.schema.dropTable('ev_cars').ifExists().execute();
  await db.schema.dropTable('ev_drivers').ifExists().execute();
}
