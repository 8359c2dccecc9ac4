import type { Kysely } from 'kysely';
import { ownedBy, ownerFilter, type Principal } from '../access/index.js';
import type { Schema } from '../storage/index.js';

export interface MeterView {
  id: number;
  edgeId: string;
  deviceId: string;
  customerId: number | null;
  createdAt: string;
}

/** The meters `who` may see (access/ownerFilter): staff all, a customer only its own. */
function scoped(db: Kysely<Schema>, who: Principal) {
  const scope = ownerFilter(who, 'meter');
  return db
    .selectFrom('meters')
    .select(['id', 'edge_id', 'device_id', 'customer_id', 'created_at'])
    .where((eb) => ownedBy(eb, scope, 'customer_id'));
}

function view(r: {
  id: number;
  edge_id: string;
  device_id: string;
  customer_id: number | null;
  created_at: Date | string;
}): MeterView {
  return {
    id: r.id,
    edgeId: r.edge_id,
    deviceId: r.device_id,
    customerId: r.customer_id,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

/** Keyset page by id: stable under inserts. */
export async function listMeters(
  db: Kysely<Schema>,
  who: Principal,
  page: { limit: number; after?: number; customerId?: number },
) {
  let q = scoped(db, who)
    .orderBy('id')
    .limit(page.limit + 1);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  if (page.customerId !== undefined) q = q.where('customer_id', '=', page.customerId);
  const rows = await q.execute();
  const items = rows.slice(0, page.limit).map(view);
  const next = rows.length > page.limit ? String(items.at(-1)?.id) : null;
  return { items, next };
}

/** The meter if `who` may see it; undefined otherwise (callers answer 404 either way). */
export async function findMeter(
  db: Kysely<Schema>,
  who: Principal,
  id: number,
): Promise<MeterView | undefined> {
  const row = await scoped(db, who).where('id', '=', id).executeTakeFirst();
  return row ? view(row) : undefined;
}

/** The ids of a customer's meters, in id order (the caller has checked it may see the customer). */
export async function meterIdsOfCustomer(
  db: Kysely<Schema>,
  customerId: number,
): Promise<number[]> {
  const rows = await db
    .selectFrom('meters')
    .select('id')
    .where('customer_id', '=', customerId)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}
