import { DEFAULT_CENTRAL_WINDOW, type Reading, type TelemetryBatch } from '@gridlink/shared';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { upsertEdgeCredential } from '../src/edges/index.js';
import {
  decodeTelemetry,
  KnownIds,
  MeterDirectory,
  storeBatch,
  toDecodedBatch,
} from '../src/ingest/index.js';
import type { Database } from '../src/storage/index.js';
import { describeEachStore } from './helpers/stores.js';

/** The central's clock: a day after the readings' times. */
const NOW = 1_767_225_600_000 + 86_400_000;

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
    /** A batch as JSON of any shape, through the decoder (the reading check) and the store. */
    const storeRaw = async (raw: { readings: unknown[] } & Record<string, unknown>) => {
      const meterIds = await meters.resolve('edge-a', ['m1', 'm2']);
      let ids: KnownIds | undefined;
      if (path === 'copy') {
        const stream = await database.db
          .insertInto('ingest_streams')
          .values({ edge_id: 'edge-a', epoch: 'epoch-0001' })
          .onConflict((oc) => oc.columns(['edge_id', 'epoch']).doUpdateSet({ edge_id: 'edge-a' }))
          .returning('id')
          .executeTakeFirstOrThrow();
        ids = new KnownIds();
        ids.learn({
          edgeId: 'edge-a',
          epoch: 'epoch-0001',
          streamId: stream.id,
          meters: [...meterIds],
        });
      }
      const decoded = decodeTelemetry('edge-a', Buffer.from(JSON.stringify(raw)), 4 << 20, {
        ids,
        check: { window: DEFAULT_CENTRAL_WINDOW, nowMs: NOW },
      });
      expect(decoded.rows.kind).toBe(path);
      const { streamId, ...out } = await storeBatch(
        database.db,
        decoded,
        meterIds,
        session ? database.copyTransaction : undefined,
      );
      return out;
    };
    /** A raw batch of seqs firstSeq.. with `poison` readings (by seq) in place of valid ones. */
    const poisoned = (firstSeq: number, count: number, poison: Record<number, unknown>) => ({
      ...batch(firstSeq, count),
      readings: batch(firstSeq, count).readings.map((r) => (r.seq in poison ? poison[r.seq] : r)),
    });
    const quarantined = async () =>
      (
        await database.db
          .selectFrom('ingest_quarantine')
          .select(['seq', 'device_id', 'reason', 'raw'])
          .orderBy('seq')
          .execute()
      ).map((q) => [Number(q.seq), q.device_id, q.reason]);
    const streamCounts = async () => {
      const row = await database.db
        .selectFrom('ingest_streams')
        .select(['up_to', 'quarantined'])
        .executeTakeFirstOrThrow();
      return { upTo: Number(row.up_to), quarantined: Number(row.quarantined) };
    };
    /** Poison for seq 2, 4 and 5 of a batch from 1: a time in 1970, no deviceId, a string value. */
    const poison = {
      2: { ...reading(2), ts: 0 },
      4: { seq: 4, ts: reading(4).ts, quality: 'good', values: {} },
      5: { ...reading(5, 'm2'), values: { voltage_l1: '220' } },
    };

    const seqs = async () =>
      (await database.db.selectFrom('readings').select('seq').orderBy('seq').execute()).map((r) =>
        Number(r.seq),
      );

    // One database per describe (opening one, PGlite or PostgreSQL, is most of a case's time):
    // each case starts from empty ingest tables, their ids restarted, and a new meter directory
    // (it caches ids), as it did from a database of its own.
    beforeAll(async () => {
      database = await store.open();
    });
    afterAll(() => database?.dispose());
    beforeEach(async () => {
      await sql`TRUNCATE edges, meters, ingest_streams, readings, ingest_gaps, ingest_quarantine
                RESTART IDENTITY CASCADE`.execute(database.db);
      meters = new MeterDirectory(database.db);
      await upsertEdgeCredential(database.db, 'edge-a');
    });

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

    it('sets invalid readings aside under their seqs, stores the rest, and moves the mark over both', async () => {
      const out = await storeRaw(poisoned(1, 6, poison));
      expect(out).toMatchObject({ kind: 'stored', upTo: 6, stored: 3 });
      expect(out.kind === 'stored' && out.quarantined?.map((q) => [q.seq, q.reason])).toEqual([
        [2, 'time_before_window'],
        [4, 'schema'],
        [5, 'schema'],
      ]);
      expect(await seqs()).toEqual([1, 3, 6]);
      expect(await quarantined()).toEqual([
        [2, 'm1', 'time_before_window'],
        [4, null, 'schema'],
        [5, 'm2', 'schema'],
      ]);
      expect(await streamCounts()).toEqual({ upTo: 6, quarantined: 3 });
      // The next batch is stored as any other.
      expect(await storeRaw(batch(7, 2))).toEqual({ kind: 'stored', upTo: 8, stored: 2 });
    });

    it('a redelivered or straddling batch never sets a seq aside twice', async () => {
      await storeRaw(poisoned(1, 6, poison));
      expect(await storeRaw(poisoned(1, 6, poison))).toEqual({ kind: 'duplicate', upTo: 6 });
      // 4..9 re-batched after a restart: 4, 5 (set aside) and 6 (stored) are below the mark.
      const out = await storeRaw(poisoned(4, 6, { ...poison, 7: { ...reading(7), ts: 1e20 } }));
      expect(out).toMatchObject({ kind: 'stored', upTo: 9, stored: 2 });
      expect(await seqs()).toEqual([1, 3, 6, 8, 9]);
      expect((await quarantined()).map(([seq]) => seq)).toEqual([2, 4, 5, 7]);
      expect(await streamCounts()).toEqual({ upTo: 9, quarantined: 4 });
    });

    it('a batch of nothing but invalid readings is set aside whole and acknowledged', async () => {
      const out = await storeRaw(poisoned(1, 3, { 1: null, 2: 'x', 3: { ...reading(3), ts: -1 } }));
      expect(out).toMatchObject({ kind: 'stored', upTo: 3, stored: 0 });
      expect(await seqs()).toEqual([]);
      expect(await quarantined()).toEqual([
        [1, null, 'schema'],
        [2, null, 'schema'],
        [3, 'm1', 'schema'],
      ]);
    });

    it('hostile text in a reading set aside reaches the database safely (NUL, lone surrogates, 1 MB)', async () => {
      const out = await storeRaw(
        poisoned(1, 4, {
          1: { ...reading(1), values: { '\u0000\ud800': 1, 'bad\u001fname': 2 } },
          2: { ...reading(2), deviceId: '\ud800\u0000meter' },
          3: { ...reading(3), note: 'x'.repeat(1 << 20), ts: -1 },
        }),
      );
      expect(out).toMatchObject({ kind: 'stored', upTo: 4, stored: 1 });
      const rows = await database.db
        .selectFrom('ingest_quarantine')
        .select(['seq', 'device_id', 'message', 'raw', 'raw_bytes'])
        .orderBy('seq')
        .execute();
      expect(rows.map((r) => [Number(r.seq), r.device_id])).toEqual([
        [1, 'm1'],
        [2, null],
        [3, 'm1'],
      ]);
      for (const r of rows) {
        expect(r.message).not.toContain('\u0000');
        expect(Buffer.byteLength(r.raw)).toBeLessThanOrEqual(4096);
      }
      expect(rows[0]?.message).toContain('values.?');
      expect(rows[2]?.raw_bytes).toBeGreaterThan(1 << 20);
      expect(rows[1]?.raw).toContain('"deviceId":"\\ud800\\u0000meter"');
    });

    it('concurrent deliveries of a batch with invalid readings set each aside once', async () => {
      const results = await Promise.all([1, 2, 3].map(() => storeRaw(poisoned(1, 6, poison))));
      expect(results.map((r) => r.kind).sort()).toEqual(['duplicate', 'duplicate', 'stored']);
      expect(await seqs()).toEqual([1, 3, 6]);
      expect((await quarantined()).map(([seq]) => seq)).toEqual([2, 4, 5]);
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
