import type { Kysely } from 'kysely';
import type { Schema } from '../storage/index.js';

/**
 * Maps (edgeId, deviceId) to meter ids, registering devices the first time they report.
 * Rows are only ever added, so a cached id stays valid; the cache keeps the hot path at zero queries.
 */
export class MeterDirectory {
  readonly #db: Kysely<Schema>;
  readonly #cache = new Map<string, number>();

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  async resolve(edgeId: string, deviceIds: Iterable<string>): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const missing: string[] = [];
    for (const deviceId of new Set(deviceIds)) {
      const id = this.#cache.get(`${edgeId}\u0000${deviceId}`);
      if (id === undefined) missing.push(deviceId);
      else out.set(deviceId, id);
    }
    if (missing.length > 0) {
      await this.#db
        .insertInto('meters')
        .values(missing.map((device_id) => ({ edge_id: edgeId, device_id })))
        .onConflict((oc) => oc.columns(['edge_id', 'device_id']).doNothing())
        .execute();
      const rows = await this.#db
        .selectFrom('meters')
        .select(['id', 'device_id'])
        .where('edge_id', '=', edgeId)
        .where('device_id', 'in', missing)
        .execute();
      for (const row of rows) {
        this.#cache.set(`${edgeId}\u0000${row.device_id}`, row.id);
        out.set(row.device_id, row.id);
      }
    }
    return out;
  }
}
