import { afterAll, beforeAll, expect, it } from 'vitest';
import { bindMeter, createCustomer } from '../src/customers/index.js';
import { upsertEdgeCredential } from '../src/edges/index.js';
import { ManualReadings, TERMINAL_EPOCH } from '../src/legacy/index.js';
import type { Database } from '../src/storage/index.js';
import { CPF_A } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

/**
 * Readings posted at seed D's terminal go through the ingest's storeBatch, one seq each on the
 * terminal stream. Two centrals on one database (two ManualReadings) race for the same next seq:
 * the loser's batch is a `duplicate` and is tried again at the new mark, so every post is one
 * row — none lost, none twice. On PostgreSQL the race is real (a pool of connections).
 */
describeEachStore('seed D manual readings: exactly once under racing writers', (store) => {
  let db: Database & { dispose(): Promise<void> };
  let meterRowId: number;

  beforeAll(async () => {
    db = await store.open();
    await upsertEdgeCredential(db.db, 'edge-d');
    const c = await createCustomer(db.db, { document: CPF_A, name: 'Ana' });
    meterRowId = (await bindMeter(db.db, c.id, { edgeId: 'edge-d', deviceId: 'd-52998224725-1' }))
      .id;
  });
  afterAll(() => db?.dispose());

  it('stores 2 × 20 concurrent posts as 40 rows with seqs 1..40', async () => {
    const writers = [new ManualReadings(db.db), new ManualReadings(db.db)];
    const t0 = Date.parse('2026-11-10T12:00:00Z');
    const posts = writers.flatMap((w, k) =>
      Array.from({ length: 20 }, (_, i) =>
        w.store({
          edgeId: 'edge-d',
          deviceId: 'd-52998224725-1',
          meterRowId,
          ts: t0 + (k * 20 + i) * 60_000,
          kwh: k + 1,
        }),
      ),
    );
    const seqs = (await Promise.all(posts)).map((r) => r.seq);
    expect(new Set(seqs).size).toBe(40);
    const rows = await db.db
      .selectFrom('readings')
      .select(['seq', 'values', 'ts'])
      .where('meter_id', '=', meterRowId)
      .orderBy('seq')
      .execute();
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // 20 × 1 kWh + 20 × 2 kWh, each time once.
    expect(rows.reduce((a, r) => a + (r.values.energy_interval ?? 0), 0)).toBe(60);
    expect(new Set(rows.map((r) => new Date(r.ts).getTime())).size).toBe(40);
    const stream = await db.db
      .selectFrom('ingest_streams')
      .select('up_to')
      .where('edge_id', '=', 'edge-d')
      .where('epoch', '=', TERMINAL_EPOCH)
      .executeTakeFirstOrThrow();
    expect(Number(stream.up_to)).toBe(40);
  });
});
