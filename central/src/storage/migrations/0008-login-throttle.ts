import { type Kysely, sql } from 'kysely';

/**
 * Login throttling shared by every central on the database (docs/SECURITY.md, "HTTP: logins,
 * sessions, parsing"): one row per account (a hash of the document) and per source address.
 * And an index to revoke all tokens of one subject when its password changes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('login_throttle')
    // `account:<sha-256 of the document>` or `address:<IPv4, or IPv6 /64>`.
    .addColumn('key', 'text', (c) => c.primaryKey())
    // Attempts counted as failures (an attempt is counted when it starts; a success gives it back).
    .addColumn('failures', 'integer', (c) => c.notNull().check(sql`failures >= 0`))
    .addColumn('last_attempt_at', 'timestamptz')
    // No attempt under this key is answered before this instant.
    .addColumn('blocked_until', 'timestamptz')
    // The row means nothing after this instant (failures are forgotten): pruned.
    .addColumn('forget_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('login_throttle_forget_at')
    .on('login_throttle')
    .column('forget_at')
    .execute();
  await db.schema
    .createIndex('api_tokens_subject')
    .on('api_tokens')
    .columns(['role', 'subject'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('api_tokens_subject').ifExists().execute();
  await db.schema.dropTable('login_throttle').ifExists().execute();
}
