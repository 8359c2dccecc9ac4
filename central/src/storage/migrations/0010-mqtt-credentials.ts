import { type Kysely, sql } from 'kysely';

/**
 * MQTT credentials of the principals that are not edges (docs/SECURITY.md, "MQTT: principals and
 * policy"): cars, station clients, operator subscribers, peers. The secret is stored hashed
 * (auth/secrets.ts); revoking deletes the row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('mqtt_credentials')
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind IN ('car', 'station', 'operator', 'peer')`),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('rotated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('mqtt_credentials_pkey', ['kind', 'name'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('mqtt_credentials').ifExists().execute();
}
