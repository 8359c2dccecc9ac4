import type { Reading, TelemetryBatch } from '@gridlink/shared';
import { CompiledQuery, type Kysely, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { upsertEdgeCredential } from '../src/edges/index.js';
import { KnownIds, MeterDirectory, storeBatch, toDecodedBatch } from '../src/ingest/index.js';
import { applyRetention, ensurePartitions, partitionsJob } from '../src/lifecycle/index.js';
import { rollupMeters } from '../src/metering/index.js';
import type { Database, Schema } from '../src/storage/index.js';
import { migrationProvider } from '../src/storage/migrations/index.js';
import { readingFeeder } from './helpers/readings.js';
import { describeEachStore, type StoreUnderTest } from './helpers/stores.js';

/**
 * Readings partitioned by month (migration 0024, docs/LIFECYCLE.md "Partitions"), on PGlite and
 * PostgreSQL. Times are fixed (2030 and after), never the wall clock: the migration's own months
 * (now() and three ahead) are left alone by every assertion.
 */

/** The partition each reading of `edge` sits in, by ts (ISO), and how many rows in all. */
async function placement(db: Kysely<Schema>): Promise<Map<string, string>> {
  const { rows } = await sql<{ ts: Date; part: string }>`
    SELECT ts, tableoid::regclass::text AS part FROM readings ORDER BY ts`.execute(db);
  return new Map(rows.map((r) => [new Date(r.ts).toISOString(), r.part]));
}

async function tableExists(db: Kysely<Schema>, name: string): Promise<boolean> {
  const { rows } = await sql`SELECT 1 FROM pg_class WHERE relname = ${name}`.execute(db);
  return rows.length > 0;
}

/**
 * A database at the migration before 0024 (readings one table): opened at the latest (PGlite from
 * its migrated template, so no initdb and no 24 migrations in WASM), then migrated down, which
 * runs 0024's down (and any later migration's).
 */
async function openBefore0024(
  store: StoreUnderTest,
): Promise<{ db: Kysely<Schema>; migrator: Migrator; dispose(): Promise<void> }> {
  const database = await store.open();
  const db = database.db;
  const migrator = new Migrator({ db, provider: migrationProvider });
  const names = Object.keys(await migrationProvider.getMigrations()).sort();
  const before = names[names.indexOf('0024-readings-partitions') - 1] as string;
  const { error } = await migrator.migrateTo(before);
  if (error) throw error;
  return { db, migrator, dispose: () => database.dispose() };
}

describeEachStore('migration 0024: readings partitioned by month', (store) => {
  it('moves every row of the unpartitioned table into its month (or the default), keeps the indexes', async () => {
    const { db, migrator, dispose } = await openBefore0024(store);
    try {
      // Meter and device rows, interval readings, over three months and one far one.
      const rows = [
        ['2030-01-31T23:59:59.999Z', 1, null, { energy_import: 1 }],
        ['2030-02-01T00:00:00.000Z', 1, null, { energy_interval: 0.5 }],
        ['2030-02-15T12:00:00.000Z', null, 7, { power: 3 }],
        ['2030-04-01T00:00:00.000Z', 2, null, { energy_import: 2 }],
        ['2099-12-31T23:00:00.000Z', 2, null, { energy_import: 3 }],
      ] as const;
      await db
        .insertInto('readings')
        .values(
          rows.map(([ts, meter, device, values], i) => ({
            stream_id: 1,
            seq: i + 1,
            meter_id: meter,
            device_ref: device,
            ts: new Date(ts),
            quality: 'good',
            values: JSON.stringify(values),
          })),
        )
        .execute();
      const before = await sql`SELECT * FROM readings ORDER BY seq`.execute(db);

      const { error } = await migrator.migrateToLatest();
      expect(error).toBeUndefined();

      const after = await sql`
        SELECT stream_id, seq, meter_id, ts, quality, "values", device_ref
          FROM readings ORDER BY seq`.execute(db);
      expect(after.rows).toEqual(before.rows);
      // Every month that held rows has its partition, the far one included (made from the rows).
      expect([...(await placement(db)).values()]).toEqual([
        'readings_203001',
        'readings_203002',
        'readings_203002',
        'readings_203004',
        'readings_209912',
      ]);
      const { rows: kind } = await sql<{ relkind: string }>`
        SELECT relkind FROM pg_class WHERE relname = 'readings'`.execute(db);
      expect(kind[0]?.relkind).toBe('p');
      expect(await tableExists(db, 'readings_default')).toBe(true);
      expect(await tableExists(db, 'readings_unpartitioned')).toBe(false);
      // The parent's indexes are on each partition, the key holds ts.
      const { rows: indexes } = await sql<{ indexdef: string }>`
        SELECT indexdef FROM pg_indexes WHERE tablename = 'readings_203002' ORDER BY indexdef`.execute(
        db,
      );
      const defs = indexes.map((i) => i.indexdef).join('\n');
      expect(defs).toMatch(/UNIQUE INDEX .* \(stream_id, seq, ts\)/);
      expect(defs).toMatch(/\(meter_id, ts\)/);
      expect(defs).toMatch(/\(device_ref, ts\) WHERE \(device_ref IS NOT NULL\)/);
      expect(defs).toMatch(/\(stream_id, seq\) WHERE .*energy_interval/);
      // And back: down keeps every row too.
      const down = await migrator.migrateDown();
      expect(down.error).toBeUndefined();
      expect((await sql`SELECT * FROM readings ORDER BY seq`.execute(db)).rows).toEqual(
        before.rows,
      );
    } finally {
      await dispose();
    }
    // A template load, a migration down and up in WASM: well over the default on a loaded host.
  }, 180_000);
});

const AT = new Date('2030-06-15T12:00:00Z');

const reading = (seq: number, ts: string, deviceId = 'm1'): Reading => ({
  seq,
  deviceId,
  ts: Date.parse(ts),
  quality: 'good',
  values: { energy_import: seq },
});

describeEachStore('ingest into monthly partitions, exactly once; the maintenance job', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let meters: MeterDirectory;
  beforeAll(async () => {
    database = await store.open();
    meters = new MeterDirectory(database.db);
    await upsertEdgeCredential(database.db, 'edge-p');
  });
  afterAll(() => database.dispose());

  /** One batch through the real store, as COPY rows (the ingest's path) or JSON rows. */
  const store1 = async (b: TelemetryBatch, path: 'copy' | 'json') => {
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
    return storeBatch(database.db, decoded, meterIds, database.copyTransaction);
  };
  const batch = (readings: Reading[]): TelemetryBatch => ({
    edgeId: 'edge-p',
    epoch: 'epoch-p',
    firstSeq: readings[0]?.seq ?? 1,
    lastSeq: readings.at(-1)?.seq ?? 0,
    dropped: 0,
    droppedUpTo: 0,
    readings,
  });
  const first = batch([
    reading(1, '2030-05-20T10:00:00Z'), // past: no partition yet, into the default
    reading(2, '2030-06-15T11:00:00Z'), // current month
  ]);
  const second = batch([
    reading(3, '2030-08-01T00:00:00Z'), // a month ahead
    reading(4, '2045-01-10T00:00:00Z'), // far out of range: the default
  ]);

  it('stores readings of past, current, future and far months once; a resent batch stores nothing', async () => {
    const made = await partitionsJob(database.db, { monthsAhead: 3 }).run(AT);
    expect(made).toEqual({
      created: ['readings_203006', 'readings_203007', 'readings_203008', 'readings_203009'],
      rescued: 0,
    });
    expect(await store1(first, 'copy')).toMatchObject({ kind: 'stored', stored: 2, upTo: 2 });
    expect(await store1(second, 'json')).toMatchObject({ kind: 'stored', stored: 2, upTo: 4 });
    const where = await placement(database.db);
    expect(where).toEqual(
      new Map([
        ['2030-05-20T10:00:00.000Z', 'readings_default'],
        ['2030-06-15T11:00:00.000Z', 'readings_203006'],
        ['2030-08-01T00:00:00.000Z', 'readings_203008'],
        ['2045-01-10T00:00:00.000Z', 'readings_default'],
      ]),
    );
    // Resent, both ways: the mark answers duplicate, nothing is stored twice.
    expect(await store1(first, 'copy')).toMatchObject({ kind: 'duplicate', upTo: 4 });
    expect(await store1(second, 'json')).toMatchObject({ kind: 'duplicate', upTo: 4 });
    expect(await placement(database.db)).toEqual(where);
    // Behind the mark, the key (stream_id, seq, ts) still refuses the same reading again: a
    // resent reading has its seq and its ts.
    await expect(
      sql`INSERT INTO readings SELECT * FROM readings WHERE seq = 3`.execute(database.db),
    ).rejects.toMatchObject({ code: '23505' });
  });

  it('rescues default rows of a month it makes; leaves months beyond its window in the default', async () => {
    // Again at the same instant: the past month with rows in the default gets its partition.
    expect(await ensurePartitions(database.db, AT, 3)).toEqual({
      created: ['readings_203005'],
      rescued: 1,
    });
    expect((await placement(database.db)).get('2030-05-20T10:00:00.000Z')).toBe('readings_203005');
    expect((await placement(database.db)).get('2045-01-10T00:00:00.000Z')).toBe('readings_default');
    // Idempotent.
    expect(await ensurePartitions(database.db, AT, 3)).toEqual({ created: [], rescued: 0 });
    // Years later the window reaches 2045-01, which has a row in the default: moved, not lost
    // (PostgreSQL would refuse to make the partition over it).
    const later = await ensurePartitions(database.db, new Date('2044-12-20T00:00:00Z'), 1);
    expect(later).toEqual({ created: ['readings_204412', 'readings_204501'], rescued: 1 });
    const where = await placement(database.db);
    expect(where.get('2045-01-10T00:00:00.000Z')).toBe('readings_204501');
    expect(where.size).toBe(4);
    const { rows } = await sql`SELECT 1 FROM readings_default`.execute(database.db);
    expect(rows).toHaveLength(0);
    // A stream resent after the moves is still a duplicate, and new readings keep flowing.
    expect(await store1(second, 'json')).toMatchObject({ kind: 'duplicate', upTo: 4 });
    expect(await store1(batch([reading(5, '2045-01-11T00:00:00Z')]), 'copy')).toMatchObject({
      kind: 'stored',
      stored: 1,
    });
    expect((await placement(database.db)).get('2045-01-11T00:00:00.000Z')).toBe('readings_204501');
  });
});

describeEachStore('retention drops whole months; a day of readings reads one month', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let a: number;
  let b: number;
  const NOW = new Date('2031-09-01T00:00:00Z'); // 400 days: cutoff 2030-07-28T00:00Z
  const policy = { readingsDays: 400, quarantineDays: 0, carHistoryDays: 0, batchSize: 1000 };

  beforeAll(async () => {
    database = await store.open();
    await ensurePartitions(database.db, new Date('2030-04-01T00:00:00Z'), 5);
    const feed = readingFeeder(database.db, 'edge-r');
    const days = (month: string, n: number, deviceId: string, from: number) =>
      Array.from({ length: n }, (_, d) => ({
        deviceId,
        at: `2030-${month}-${String(d + 1).padStart(2, '0')}T12:00:00Z`,
        values: { energy_import: from + d },
      }));
    // a: every day of May and June 2030, then 1 Jul; rolled up to 1 Jul (its watermark).
    // b: April 2030, never rolled up.
    const ids = await feed([
      ...days('04', 30, 'b', 0),
      ...days('05', 31, 'a', 0),
      ...days('06', 30, 'a', 31),
      ...days('07', 1, 'a', 61),
    ]);
    a = ids.get('a') as number;
    b = ids.get('b') as number;
    await rollupMeters(database.db, [a], { now: NOW });
  });
  afterAll(() => database.dispose());

  it('drops months wholly past the cutoff and rolled up; keeps a month with readings not rolled up', async () => {
    const count = async (meter: number) =>
      Number(
        (
          await database.db
            .selectFrom('readings')
            .select((e) => e.fn.countAll<string>().as('n'))
            .where('meter_id', '=', meter)
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await count(a)).toBe(62);
    const out = await applyRetention(database.db, policy, NOW);
    // May and June: every row before the cutoff and behind a's watermark (1 Jul 12:00): dropped.
    // April holds b's readings (never rolled up): kept, and its rows too. July straddles the
    // cutoff: its one reading is a's watermark itself, kept.
    // (The migration's own months, empty and long past at this clock, go as well.)
    expect({ ...out, partitions: out.partitions.filter((p) => p >= 'readings_2030') }).toEqual({
      partitions: ['readings_203005', 'readings_203006'],
      readings: 0,
      deviceReadings: 0,
      quarantine: 0,
      carStates: 0,
      batches: 2,
    });
    expect(await tableExists(database.db, 'readings_203005')).toBe(false);
    expect(await tableExists(database.db, 'readings_203006')).toBe(false);
    expect(await tableExists(database.db, 'readings_203004')).toBe(true);
    expect(await count(a)).toBe(1);
    expect(await count(b)).toBe(30);
    // Idempotent; once b is rolled up (watermark 30 Apr 12:00), April goes by rows up to it:
    // the month keeps b's last reading (the watermark itself), so it is not dropped.
    expect((await applyRetention(database.db, policy, NOW)).partitions).toEqual([]);
    await rollupMeters(database.db, [b], { now: NOW });
    const again = await applyRetention(database.db, policy, NOW);
    expect(again).toMatchObject({ partitions: [], readings: 29 });
    expect(await count(b)).toBe(1);
    // The maintenance job does not make the dropped months again (none of their rows is left).
    expect(
      (await ensurePartitions(database.db, new Date('2030-07-10T00:00:00Z'), 0)).created,
    ).toEqual([]);
  });

  it('a one-day query of a meter reads one partition (EXPLAIN)', async () => {
    const q = database.db
      .selectFrom('readings')
      .select(['ts', 'quality', 'values', 'stream_id', 'seq'])
      .where('meter_id', '=', a)
      .where('ts', '>=', new Date('2030-07-01T00:00:00Z'))
      .where('ts', '<', new Date('2030-07-02T00:00:00Z'))
      .orderBy('ts')
      .orderBy('stream_id')
      .orderBy('seq')
      .limit(101)
      .compile();
    const plan = await database.db.executeQuery<{ 'QUERY PLAN': string }>(
      CompiledQuery.raw(`EXPLAIN ${q.sql}`, [...q.parameters]),
    );
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    expect([...new Set(text.match(/readings_(\d{6}|default)/g))], text).toEqual([
      'readings_203007',
    ]);
  });
});
