import { type Kysely, sql } from 'kysely';

/** Invoices (one per meter and billing period) and the run-once ledger of scheduled jobs. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('invoices')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('meter_id', 'integer', (c) => c.notNull().references('meters.id'))
    .addColumn('customer_id', 'integer', (c) => c.notNull().references('customers.id'))
    // Civil dates in the customer's zone, [start, end).
    .addColumn('period_start', 'date', (c) => c.notNull())
    .addColumn('period_end', 'date', (c) => c.notNull())
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('tariff_id', 'text', (c) => c.notNull())
    .addColumn('consumption_wh', 'bigint', (c) => c.notNull())
    .addColumn('billed_wh', 'bigint', (c) => c.notNull())
    .addColumn('lines', 'jsonb', (c) => c.notNull())
    .addColumn('totals', 'jsonb', (c) => c.notNull())
    .addColumn('total_centavos', 'bigint', (c) => c.notNull())
    .addColumn('due_date', 'date', (c) => c.notNull())
    .addColumn('pix_payload', 'text')
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('open').check(sql`status IN ('open','paid','cancelled')`),
    )
    .addColumn('issued_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('invoices_meter_period', ['meter_id', 'period_start'])
    .execute();
  await db.schema
    .createIndex('invoices_customer')
    .on('invoices')
    .columns(['customer_id', 'period_start'])
    .execute();
  // A scheduled job runs once per slot across all central instances: the first insert wins.
  await db.schema
    .createTable('job_runs')
    .addColumn('job', 'text', (c) => c.notNull())
    .addColumn('slot', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .addColumn('result', 'jsonb')
    .addPrimaryKeyConstraint('job_runs_pk', ['job', 'slot'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('job_runs').ifExists().execute();
  await db.schema.dropTable('invoices').ifExists().execute();
}
