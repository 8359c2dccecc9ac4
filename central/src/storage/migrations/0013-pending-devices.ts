import { type Kysely, sql } from 'kysely';

/**
 * Pending push meters (docs/PROVISIONING.md "Central"): the list an edge last reported in its
 * status (`pending`), kept on the edge's row apart from the status itself, because the edge's
 * MQTT last will (`{edgeId, online:false}`) replaces the status without saying anything about
 * them: an edge that goes offline still holds its pending meters, and an operator may bind them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('edges')
    .addColumn('pending', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
  await db.schema.alterTable('edges').addColumn('pending_at', 'timestamptz').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('edges').dropColumn('pending_at').execute();
  await db.schema.alterTable('edges').dropColumn('pending').execute();
}
