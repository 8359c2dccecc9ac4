import { type Kysely, sql } from 'kysely';

/**
 * Invoice numbers a fiscal document can carry (docs/BILLING.md, "Invoice numbers"): gapless per
 * series (the issue year, `2026-000001`), allocated from `invoice_series` in the transaction that
 * inserts the invoice, so a rolled-back close leaves no hole. Invoices issued before keep the
 * number they were shown with: their id.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('invoice_series')
    .addColumn('series', 'text', (c) => c.primaryKey())
    .addColumn('last_number', 'integer', (c) => c.notNull())
    .execute();
  await sql`ALTER TABLE invoices ADD COLUMN number text`.execute(db);
  await sql`UPDATE invoices SET number = id::text`.execute(db);
  await sql`ALTER TABLE invoices ADD CONSTRAINT invoices_number UNIQUE (number)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE invoices DROP COLUMN IF EXISTS number`.execute(db);
  await db.schema.dropTable('invoice_series').ifExists().execute();
}
