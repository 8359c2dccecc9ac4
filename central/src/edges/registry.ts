import type { EdgeStatus } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import { hashSecret, newSecret, verifySecret } from '../auth/index.js';
import type { Schema } from '../storage/index.js';

export interface EdgeRow {
  id: string;
  createdAt: Date;
  lastSeenAt: Date | null;
  status: EdgeStatus | null;
}

/** Registers an edge, or rotates its secret. The secret is returned once and stored hashed. */
export async function upsertEdgeCredential(db: Kysely<Schema>, edgeId: string): Promise<string> {
  const secret = newSecret();
  await db
    .insertInto('edges')
    .values({ id: edgeId, secret_hash: hashSecret(secret) })
    .onConflict((oc) => oc.column('id').doUpdateSet({ secret_hash: hashSecret(secret) }))
    .execute();
  return secret;
}

export async function verifyEdgeCredential(
  db: Kysely<Schema>,
  edgeId: string,
  secret: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('edges')
    .select('secret_hash')
    .where('id', '=', edgeId)
    .executeTakeFirst();
  return row !== undefined && verifySecret(secret, row.secret_hash);
}

export async function recordEdgeStatus(
  db: Kysely<Schema>,
  status: EdgeStatus,
  at = new Date(),
): Promise<void> {
  await db
    .updateTable('edges')
    .set({ status: sql`${JSON.stringify(status)}::jsonb`, last_seen_at: at })
    .where('id', '=', status.edgeId)
    .execute();
}

export async function listEdges(db: Kysely<Schema>): Promise<EdgeRow[]> {
  const rows = await db
    .selectFrom('edges')
    .select(['id', 'created_at', 'last_seen_at', 'status'])
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    createdAt: new Date(r.created_at),
    lastSeenAt: r.last_seen_at ? new Date(r.last_seen_at) : null,
    status: (r.status as EdgeStatus | null) ?? null,
  }));
}
