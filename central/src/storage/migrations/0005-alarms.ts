import { type Kysely, sql } from 'kysely';

/** Alarms with their lifecycle, and the cursors of event-driven alarm rules. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alarms')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    // What the alarm is about: `customer:12`, `meter:7`, `edge:edge-01`.
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) =>
      c.notNull().check(sql`severity IN ('CRITICAL','MAJOR','MINOR','WARNING')`),
    )
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state IN ('ACTIVE_UNACK','ACTIVE_ACK','CLEARED_UNACK','CLEARED_ACK')`),
    )
    // The customer who sees it (and whose MQTT topic carries it); null = operators only.
    .addColumn('customer_id', 'integer', (c) => c.references('customers.id'))
    .addColumn('details', 'jsonb', (c) => c.notNull())
    .addColumn('occurrences', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('raised_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('acked_at', 'timestamptz')
    .addColumn('acked_by', 'text')
    .addColumn('cleared_at', 'timestamptz')
    .addColumn('cleared_by', 'text')
    .execute();
  // One active alarm per (source, type): a repeat refreshes it instead of adding another.
  await sql`CREATE UNIQUE INDEX alarms_one_active ON alarms (source, type)
    WHERE state IN ('ACTIVE_UNACK','ACTIVE_ACK')`.execute(db);
  await db.schema
    .createIndex('alarms_customer')
    .on('alarms')
    .columns(['customer_id', 'id'])
    .execute();
  await db.schema.createIndex('alarms_state').on('alarms').columns(['state', 'id']).execute();
  await db.schema
    .createTable('alarm_cursors')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('last_id', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('alarm_cursors').ifExists().execute();
  await db.schema.dropTable('alarms').ifExists().execute();
}
