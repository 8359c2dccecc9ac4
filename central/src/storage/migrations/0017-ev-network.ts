import { type Kysely, sql } from 'kysely';

/**
 * The charging network (docs/EV.md, "Network"): companies (charge point operators), their
 * stations, the charging points at each station (one point = one vehicle at a time, an OCPI EVSE)
 * and the connectors of each point. A point may be bound to a charger device an edge reports
 * (`edge_id`, `device_id`): its live state is then derived from that device's telemetry
 * (ev/live). Rows imported from the seed CSVs keep their file id as `external_id`, so an import
 * run twice updates instead of duplicating.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ev_companies')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'`))
    .addColumn('name', 'text', (c) => c.notNull())
    /** The tariff of points without their own (ev/tariff-schema.ts), JSON. */
    .addColumn('default_tariff', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('ev_stations')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('ev_companies.id'))
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('address', 'text')
    .addColumn('latitude', 'double precision', (c) =>
      c.notNull().check(sql`latitude BETWEEN -90 AND 90`),
    )
    .addColumn('longitude', 'double precision', (c) =>
      c.notNull().check(sql`longitude BETWEEN -180 AND 180`),
    )
    .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('America/Bahia'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('ev_stations_company_external', ['company_id', 'external_id'])
    .execute();

  await db.schema
    .createTable('ev_points')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('station_id', 'bigint', (c) =>
      c.notNull().references('ev_stations.id').onDelete('cascade'),
    )
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    /** The operator's switch (company CSV `status`: ativo/inativo): an inactive point is not offered. */
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    /** Maintenance set by an operator (seed A `em_manutencao`), with who, when and why. */
    .addColumn('maintenance', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('maintenance_reason', 'text')
    .addColumn('maintenance_by', 'text')
    .addColumn('maintenance_at', 'timestamptz')
    /** The tariff of this point (ev/tariff-schema.ts); null = the company's default. */
    .addColumn('tariff', 'jsonb')
    /** The charger device bound to this point (ev/live), as the edge names it. */
    .addColumn('edge_id', 'text')
    .addColumn('device_id', 'text')
    /** Live state derived from the bound charger's telemetry (ev/live); 'unknown' until then. */
    .addColumn('state', 'text', (c) =>
      c
        .notNull()
        .defaultTo('unknown')
        .check(
          sql`state IN ('available','preparing','charging','finishing','reserved','faulted','unavailable','unknown')`,
        ),
    )
    .addColumn('state_at', 'timestamptz')
    .addColumn('fault_code', 'integer')
    .addColumn('power_w', 'double precision')
    .addColumn('session_energy_wh', 'bigint')
    .addColumn('energy_total_wh', 'bigint')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('ev_points_station_external', ['station_id', 'external_id'])
    .addUniqueConstraint('ev_points_device', ['edge_id', 'device_id'])
    .addCheckConstraint('ev_points_device_pair', sql`(edge_id IS NULL) = (device_id IS NULL)`)
    .execute();

  await db.schema
    .createTable('ev_connectors')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('point_id', 'bigint', (c) =>
      c.notNull().references('ev_points.id').onDelete('cascade'),
    )
    /** 1-based, per point (OCPP connectorId). */
    .addColumn('connector_no', 'smallint', (c) => c.notNull().check(sql`connector_no >= 1`))
    .addColumn('standard', 'text', (c) =>
      c
        .notNull()
        .check(sql`standard IN ('type1','type2','ccs1','ccs2','chademo','gbt_ac','gbt_dc')`),
    )
    .addColumn('power_type', 'text', (c) => c.notNull().check(sql`power_type IN ('ac','dc')`))
    .addColumn('max_power_w', 'integer', (c) => c.notNull().check(sql`max_power_w > 0`))
    .addUniqueConstraint('ev_connectors_point_no', ['point_id', 'connector_no'])
    .execute();

  await sql`CREATE INDEX ev_stations_company ON ev_stations (company_id, id)`.execute(db);
  await sql`CREATE INDEX ev_points_station ON ev_points (station_id, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ev_connectors').ifExists().execute();
  await db.schema.dropTable('ev_points').ifExists().execute();
  await db.schema.dropTable('ev_stations').ifExists().execute();
  await db.schema.dropTable('ev_companies').ifExists().execute();
}
