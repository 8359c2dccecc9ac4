import { type Kysely, sql } from 'kysely';

/** Customers (CPF/CNPJ), and the link meters.customer_id → customers.id. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('customers')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    // Normalized: 11 digits (CPF) or 14 characters (CNPJ, alphanumeric since 2026).
    .addColumn('document', 'text', (c) => c.notNull().unique())
    .addColumn('document_kind', 'text', (c) =>
      c.notNull().check(sql`document_kind IN ('cpf','cnpj')`),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('America/Bahia'))
    .addColumn('connection', 'text', (c) =>
      c
        .notNull()
        .defaultTo('single-phase')
        .check(sql`connection IN ('single-phase','two-phase','three-phase')`),
    )
    .addColumn('tariff_class', 'text', (c) => c.notNull().defaultTo('residencial'))
    // A whole tariff (billing/tariffs schema), validated by the API before it is stored.
    .addColumn('tariff', 'jsonb')
    // Alarm limit: kWh per local calendar month; null = no fixed limit.
    .addColumn('monthly_limit_wh', 'bigint')
    // scrypt$N$r$p$salt$hash; null = the customer cannot sign in yet.
    .addColumn('password_hash', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Existing rows may point at customers that never existed: detach them before the constraint.
  await sql`UPDATE meters SET customer_id = NULL WHERE customer_id IS NOT NULL`.execute(db);
  await sql`ALTER TABLE meters ADD CONSTRAINT meters_customer_fk
    FOREIGN KEY (customer_id) REFERENCES customers(id)`.execute(db);
  await db.schema.createIndex('meters_customer').on('meters').column('customer_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('meters_customer').ifExists().execute();
  await sql`ALTER TABLE meters DROP CONSTRAINT IF EXISTS meters_customer_fk`.execute(db);
  await db.schema.dropTable('customers').ifExists().execute();
}
