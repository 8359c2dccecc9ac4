import { type Kysely, sql } from 'kysely';
import type { Schema } from '../storage/index.js';
import { mintToken } from './tokens.js';

/**
 * The first admin credential, minted once for a database that has never had an admin token
 * (docs/DEPLOY.md, "The first admin token"). The mark `first-admin` in `central_bootstrap` is
 * taken in the same transaction, so of several centrals starting at once on one database exactly
 * one mints, and no later start mints again. Resolves the token, or undefined when done before.
 */
export async function bootstrapFirstAdmin(
  db: Kysely<Schema>,
  now: Date,
): Promise<string | undefined> {
  return db.transaction().execute(async (trx) => {
    const marked = await trx
      .insertInto('central_bootstrap')
      .values({ name: 'first-admin', done_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .returning('name')
      .executeTakeFirst();
    if (!marked) return undefined;
    // An admin token made before the first start (`gridlink-central token create --role admin`)
    // is the first credential already.
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM api_tokens WHERE role = 'admin'`.execute(trx);
    if ((rows[0]?.n ?? 0) > 0) return undefined;
    return mintToken(trx, { role: 'admin', label: 'first admin', now });
  });
}
