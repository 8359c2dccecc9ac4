import type { Reading, TelemetryBatch } from '@gridlink/shared';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { upsertEdgeCredential } from '../src/edges/index.js';
import { KnownIds, MeterDirectory, storeBatch, toDecodedBatch } from '../src/ingest/index.js';
import type { Database } from '../src/storage/index.js';
import { describeEachStore } from './helpers/stores.js';

const reading = (seq: number, deviceId = 'm1'): Reading => ({
  seq,
  deviceId,
  ts: 1_767_225_600_000 + seq * 1000,
  quality: 'good',
  values: { voltage_l1: 220 + seq / 100, energy_import: seq * 0.5 },
});

function batch(
  firstSeq: number,
  count: number,
  over: Partial<TelemetryBatch> = {},
): TelemetryBatch {
  return {
    edgeId: 'edge-a',
    epoch: 'epoch-0001',
    firstSeq,
    lastSeq: firstSeq + count - 1,
    dropped: 0,
    droppedUpTo: 0,
    readings: Array.from({ length: count }, (_, i) => reading(firstSeq + i)),
    ...over,
  };
}

// JSON rows through a Kysely transaction (the store alone) or the ingest's session, COPY rows
// through the ingest's session.
for (const [path, session] of [
  ['json', false],
  ['json', true],
  ['copy', true],
] as const) {
  const how = session ? 'the ingest session' : 'Kysely';
  describeEachStore(`storeBatch (${path} rows through ${how}): exactly once`, (store) => {
    let database: Database & { dispose(): Promise<void> };
    let meters: MeterDirectory;
    const store1 = async (b: TelemetryBatch) => {
      const meterIds = await meters.resolve(
        b.edgeId,
        b.readings.map((r) => r.deviceId),
      );
      let ids: KnownIds | undefined;
      if (path === 'copy') {
        const stream = await database.db
          .insertInto('ingest_streams')
          .values({ edge_id: b.edgeId, epoch: b.epoch })
          .onConflict((oc) => oc.columns(['edge_id', 'epoch']).doUpdateSet({ edge_id: b.edgeId }))
          .returning('id')
          .executeTakeFirstOrThrow();
        ids = new KnownIds();
        ids.learn({ edgeId: b.edgeId, epoch: b.epoch, streamId: stream.id, meters: [...meterIds] });
      }
      const decoded = toDecodedBatch(b, ids);
      expect(decoded.rows.kind).toBe(path);
      const { streamId, ...out } = await storeBatch(
        database.db,
        decoded,
        meterIds,
        session ? database.copyTransaction : undefined,
      );
      expect(streamId).toBeGreaterThan(0);
      return out;
    };
    const seqs = async () =>
      (await database.db.selectFrom('readings').select('seq').orderBy('seq').execute()).map((r) =>
        Number(r.seq),
      );

    beforeEach(async () => {
      database = await store.open();
      meters = new MeterDirectory(database.db);
      await upsertEdgeCredential(database.db, 'edge-a');
    });
    afterEach(() => database.dispose());

    it('stores timestamps to the millisecond and values exactly as JavaScript numbers', async () => {
      const values = {
        sum_of_tenths: 0.1 + 0.2,
        tiny: 1e-7,
        huge: 1.7976931348623157e308,
        big_int: 9007199254740991,
        negative: -273.15,
        zero: 0,
      };
      const b = batch(1, 2);
      b.readings = [
        { ...reading(1), ts: 1_767_225_600_123, values },
        { ...reading(2, 'm2'), ts: 1_767_225_600_999, quality: 'uncertain', values: {} },
      ];
      expect(await store1(b)).toEqual({ kind: 'stored', upTo: 2, stored: 2 });
      const rows = await database.db
        .selectFrom('readings')
        .innerJoin('meters', 'meters.id', 'readings.meter_id')
        .select(['seq', 'values', 'quality', 'ts', 'meters.device_id'])
        .orderBy('seq')
        .execute();
      expect(
        rows.map((r) => [
          Number(r.seq),
          r.device_id,
          r.quality,
          new Date(r.ts).getTime(),
          r.values,
        ]),
      ).toEqual([
        [1, 'm1', 'good', 1_767_225_600_123, values],
        [2, 'm2', 'uncertain', 1_767_225_600_999, {}],
      ]);
    });

    it('stores a contiguous batch and advances the mark', async () => {
      expect(await store1(batch(1, 3))).toEqual({ kind: 'stored', upTo: 3, stored: 3 });
      expect(await store1(batch(4, 2))).toEqual({ kind: 'stored', upTo: 5, stored: 2 });
      expect(await seqs()).toEqual([1, 2, 3, 4, 5]);
      const row = await database.db
        .selectFrom('readings')
        .select(['values', 'quality', 'ts'])
        .where('seq', '=', 2)
        .executeTakeFirstOrThrow();
      expect(row.values).toEqual({ voltage_l1: 220.02, energy_import: 1 });
      expect(new Date(row.ts).getTime()).toBe(1_767_225_602_000);
    });

    it('a replayed batch (same epoch, same seqs) is acknowledged and not stored twice', async () => {
      await store1(batch(1, 3));
      expect(await store1(batch(1, 3))).toEqual({ kind: 'duplicate', upTo: 3 });
      expect(await seqs()).toEqual([1, 2, 3]);
    });

    it('a batch straddling the mark stores only what is new', async () => {
      await store1(batch(1, 3));
      expect(await store1(batch(2, 4))).toEqual({ kind: 'stored', upTo: 5, stored: 2 });
      expect(await seqs()).toEqual([1, 2, 3, 4, 5]);
    });

    it('a batch beyond a gap the edge did not drop is refused and nothing is stored', async () => {
      await store1(batch(1, 3));
      expect(await store1(batch(6, 2))).toEqual({ kind: 'gap', upTo: 3, expected: 4 });
      expect(await seqs()).toEqual([1, 2, 3]);
    });

    it('a gap the edge dropped is recorded exactly and the batch is stored', async () => {
      await store1(batch(1, 3));
      const out = await store1(batch(8, 2, { dropped: 6, droppedUpTo: 7 }));
      expect(out).toEqual({ kind: 'stored', upTo: 9, stored: 2, gap: { from: 4, to: 7 } });
      const gaps = await database.db
        .selectFrom('ingest_gaps')
        .select(['from_seq', 'to_seq', 'reported_dropped'])
        .execute();
      expect(
        gaps.map((g) => [Number(g.from_seq), Number(g.to_seq), Number(g.reported_dropped)]),
      ).toEqual([[4, 7, 6]]);
    });

    it('a new epoch (wiped edge store) starts its own mark', async () => {
      await store1(batch(1, 3));
      expect(await store1(batch(1, 2, { epoch: 'epoch-0002' }))).toMatchObject({
        kind: 'stored',
        upTo: 2,
      });
      expect(
        await database.db
          .selectFrom('readings')
          .select(sql<number>`count(*)::int`.as('n'))
          .executeTakeFirst(),
      ).toEqual({ n: 5 });
    });

    it('registers each device as a meter once', async () => {
      const b = batch(1, 2);
      b.readings[1] = { ...reading(2, 'm2') };
      await store1(b);
      await store1(batch(3, 1));
      const rows = await database.db
        .selectFrom('meters')
        .select(['edge_id', 'device_id'])
        .orderBy('device_id')
        .execute();
      expect(rows).toEqual([
        { edge_id: 'edge-a', device_id: 'm1' },
        { edge_id: 'edge-a', device_id: 'm2' },
      ]);
    });

    it('concurrent deliveries of the same batch store it once (the mark row is locked)', async () => {
      const results = await Promise.all([
        store1(batch(1, 50)),
        store1(batch(1, 50)),
        store1(batch(1, 50)),
      ]);
      expect(results.filter((r) => r.kind === 'stored')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'duplicate')).toHaveLength(2);
      expect((await seqs()).length).toBe(50);
    });
  });
}
