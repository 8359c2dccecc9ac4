import type { EdgeStatus } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import { hashSecret, newSecret, verifySecret } from '../auth/index.js';
import type { Schema } from '../storage/index.js';
import { recordStatusDevices } from './devices.js';

export interface EdgeRow {
  id: string;
  createdAt: Date;
  lastSeenAt: Date | null;
  status: EdgeStatus | null;
  /** The central's figures of the edge's most recently active stream (none before a batch). */
  ingest: { epoch: string; upTo: number; dropped: number; quarantined: number } | null;
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

/** Keeps an edge's newest status and registers or refreshes the devices it lists, together. */
export async function recordEdgeStatus(
  db: Kysely<Schema>,
  status: EdgeStatus,
  at: Date,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Pending push meters (migration 0013): a status that lists them replaces the list, an online
    // one without the field holds none; the last will (offline) leaves the list as it was.
    const pending = status.pending ?? (status.online ? [] : undefined);
    await trx
      .updateTable('edges')
      .set({
        status: sql`${JSON.stringify(status)}::jsonb`,
        last_seen_at: at,
        ...(pending === undefined
          ? {}
          : {
              pending: sql`${JSON.stringify(pending)}::jsonb` as unknown as string,
              pending_at: at,
            }),
      })
      .where('id', '=', status.edgeId)
      .execute();
    await recordStatusDevices(trx, status.edgeId, status.devices ?? [], at);
  });
}

export async function listEdges(db: Kysely<Schema>): Promise<EdgeRow[]> {
  const rows = await db
    .selectFrom('edges')
    .select(['id', 'created_at', 'last_seen_at', 'status'])
    .orderBy('id')
    .execute();
  // One row per edge: its newest stream (DISTINCT ON keeps the first of each edge_id).
  const streams = await db
    .selectFrom('ingest_streams')
    .distinctOn('edge_id')
    .select(['edge_id', 'epoch', 'up_to', 'dropped', 'quarantined'])
    .orderBy('edge_id')
    .orderBy('updated_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const ingest = new Map(
    streams.map((s) => [
      s.edge_id,
      {
        epoch: s.epoch,
        upTo: Number(s.up_to),
        dropped: Number(s.dropped),
        quarantined: Number(s.quarantined),
      },
    ]),
  );
  return rows.map((r) => ({
    id: r.id,
    createdAt: new Date(r.created_at),
    lastSeenAt: r.last_seen_at ? new Date(r.last_seen_at) : null,
    status: (r.status as EdgeStatus | null) ?? null,
    ingest: ingest.get(r.id) ?? null,
  }));
}
