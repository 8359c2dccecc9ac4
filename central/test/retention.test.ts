import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { parseCentralConfig } from '../src/config/index.js';
import { applyRetention, retentionJob } from '../src/lifecycle/index.js';
import { rollupMeters } from '../src/metering/index.js';
import type { Database } from '../src/storage/index.js';
import { testApi } from './helpers/api.js';
import { readingFeeder } from './helpers/readings.js';
import { describeEachStore } from './helpers/stores.js';

/**
 * Clock 2025-03-01T00:00Z, readingsDays 400 → cutoff 2024-01-26T00:00Z.
 *   meter a: hourly readings 2024-01-01T00..09 (10 kWh each hour + 1), rolled up: watermark 09:00.
 *            then 2024-01-01T10 and 11 arrive after the rollup (past the watermark, older than
 *            the cutoff): kept. 2024-03-01T00 (newer than the cutoff): kept.
 *   meter b: 2024-01-01T00..03, never rolled up: all kept.
 * So a loses 00..08 (9 readings: strictly behind its watermark 09:00), keeps 09, 10, 11, Mar 1.
 */
const hour = (h: number) => `2024-01-01T${String(h).padStart(2, '0')}:00:00Z`;

describeEachStore('retention of raw readings', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let api: ReturnType<typeof testApi>;
  let a: number;
  let b: number;
  let admin: string;

  beforeAll(async () => {
    database = await store.open();
    api = testApi(database);
    api.clock.now = new Date('2025-03-01T00:00:00Z');
    const feed = readingFeeder(database.db, 'edge-r');
    const ids = await feed([
      ...Array.from({ length: 10 }, (_, h) => ({
        deviceId: 'a',
        at: hour(h),
        values: { energy_import: 100 + h },
      })),
      ...Array.from({ length: 4 }, (_, h) => ({
        deviceId: 'b',
        at: hour(h),
        values: { energy_import: 5 + h },
      })),
    ]);
    a = ids.get('a') as number;
    b = ids.get('b') as number;
    await rollupMeters(database.db, [a], { now: api.clock.now });
    await feed([
      { deviceId: 'a', at: hour(10), values: { energy_import: 110 } },
      { deviceId: 'a', at: hour(11), values: { energy_import: 111 } },
      { deviceId: 'a', at: '2024-03-01T00:00:00Z', values: { energy_import: 111 } },
    ]);
    const stream = await database.db
      .selectFrom('ingest_streams')
      .select('id')
      .executeTakeFirstOrThrow();
    // Two quarantined readings: one received 500 days before the clock, one 10 days before.
    await database.db
      .insertInto('ingest_quarantine')
      .values(
        [500, 10].map((days, i) => ({
          stream_id: stream.id,
          seq: 1000 + i,
          device_id: 'a',
          reason: 'time_before_window',
          message: 'test',
          raw: '{}',
          raw_bytes: 2,
          received_at: new Date(api.clock.now.getTime() - days * 86_400_000),
        })),
      )
      .execute();
    // A car with two history rows: one received 500 days before the clock, one 10 days before.
    await database.db
      .insertInto('ev_cars')
      .values({ plate: 'RET1A23', last_battery_pct: 80, last_charging: false })
      .execute();
    await database.db
      .insertInto('ev_car_states')
      .values(
        [500, 10].map((days) => {
          const at = new Date(api.clock.now.getTime() - days * 86_400_000);
          return {
            plate: 'RET1A23',
            ts: at,
            source: 'status' as const,
            battery_pct: 80,
            charging: false,
            received_at: at,
          };
        }),
      )
      .execute();
    admin = await mintToken(database.db, { role: 'admin' });
  });
  afterAll(() => database.dispose());

  const readingTimes = async (meter: number) => {
    const r = await api.call(
      'GET',
      `/api/v1/meters/${meter}/readings?from=2023-12-01T00:00:00Z&to=2025-01-01T00:00:00Z`,
      { token: admin },
    );
    expect(r.status, r.text).toBe(200);
    return (r.body.items as Array<{ ts: string }>).map((i) => i.ts);
  };
  const consumption = async (meter: number) => {
    const r = await api.call(
      'GET',
      `/api/v1/meters/${meter}/consumption?from=2023-12-01&to=2024-04-01&granularity=day`,
      { token: admin },
    );
    expect(r.status, r.text).toBe(200);
    return r.body;
  };

  /** The car's reports the API lists in the hour around `daysAgo` days before the clock. */
  const carReports = async (daysAgo: number) => {
    const at = api.clock.now.getTime() - daysAgo * 86_400_000;
    const r = await api.call(
      'GET',
      `/api/v1/cars/RET1A23/states?from=${new Date(at - 3_600_000).toISOString()}&to=${new Date(at + 3_600_000).toISOString()}`,
      { token: admin },
    );
    expect(r.status, r.text).toBe(200);
    return (r.body.items as unknown[]).length;
  };

  it('deletes in batches only readings older than the cutoff and behind the watermark; rollups stay', async () => {
    expect([await carReports(500), await carReports(10)]).toEqual([1, 1]);
    const before = await consumption(a);
    expect(before.totalKwh).toBe('9.000');
    expect(await readingTimes(a)).toHaveLength(13);

    const out = await applyRetention(
      database.db,
      { readingsDays: 400, quarantineDays: 400, carHistoryDays: 400, batchSize: 4 },
      api.clock.now,
    );
    // 9 readings of a in batches of 4 (4, 4, 1); no device readings (1 empty batch); 1 quarantine
    // row; 1 car history row.
    expect(out).toEqual({
      partitions: [],
      readings: 9,
      deviceReadings: 0,
      quarantine: 1,
      carStates: 1,
      batches: 6,
    });
    // What the car's owner or an operator reads: the old report is gone, the recent one stays.
    expect([await carReports(500), await carReports(10)]).toEqual([0, 1]);
    const history = await database.db.selectFrom('ev_car_states').select('received_at').execute();
    expect(history.map((r) => new Date(r.received_at).getTime())).toEqual([
      api.clock.now.getTime() - 10 * 86_400_000,
    ]);
    // The car's last report is on its row, untouched.
    expect(
      await database.db
        .selectFrom('ev_cars')
        .select('last_battery_pct')
        .where('plate', '=', 'RET1A23')
        .executeTakeFirst(),
    ).toEqual({ last_battery_pct: 80 });

    expect(await readingTimes(a)).toEqual([
      '2024-01-01T09:00:00.000Z',
      '2024-01-01T10:00:00.000Z',
      '2024-01-01T11:00:00.000Z',
      '2024-03-01T00:00:00.000Z',
    ]);
    // Never rolled up: every reading stays, however old.
    expect(await readingTimes(b)).toHaveLength(4);
    // The rollups are untouched, and a later rollup picks up the readings past the watermark.
    expect(await consumption(a)).toEqual(before);
    await rollupMeters(database.db, [a], { now: api.clock.now });
    expect((await consumption(a)).totalKwh).toBe('11.000');
    const q = await database.db.selectFrom('ingest_quarantine').select('seq').execute();
    expect(q.map((r) => Number(r.seq))).toEqual([1001]);

    // The watermark moved to 2024-03-01: 09, 10 and 11 of 1 Jan are now behind it and go.
    const policy = { readingsDays: 400, quarantineDays: 400, carHistoryDays: 400, batchSize: 4 };
    expect((await applyRetention(database.db, policy, api.clock.now)).readings).toBe(3);
    expect(await readingTimes(a)).toEqual(['2024-03-01T00:00:00.000Z']);
    expect((await consumption(a)).totalKwh).toBe('11.000');
    // Idempotent: nothing left to delete.
    const again = await applyRetention(database.db, policy, api.clock.now);
    expect(again.readings + again.quarantine + again.carStates).toBe(0);
  });

  it('0 days keeps everything; the configured job runs on its scheduled instant', async () => {
    const config = parseCentralConfig({
      retention: { readingsDays: 0, quarantineDays: 0, carHistoryDays: 0 },
    });
    const job = retentionJob(database.db, config.retention);
    expect(job.cron).toBe('30 4 * * *');
    expect(await job.run(new Date('2099-01-01T00:00:00Z'))).toEqual({
      partitions: [],
      readings: 0,
      deviceReadings: 0,
      quarantine: 0,
      carStates: 0,
      batches: 0,
    });
    expect(await readingTimes(b)).toHaveLength(4);
  });
});

it('retention config is strict and checks its cron at parse time', () => {
  expect(parseCentralConfig({}).retention).toEqual({
    readingsDays: 400,
    quarantineDays: 400,
    carHistoryDays: 400,
    batchSize: 5000,
    cron: '30 4 * * *',
    partitions: { monthsAhead: 3, cron: '15 4 * * *' },
  });
  expect(() => parseCentralConfig({ retention: { readingDays: 30 } })).toThrow(/retention/);
  expect(() => parseCentralConfig({ retention: { partitions: { ahead: 3 } } })).toThrow(
    /retention\.partitions/,
  );
  expect(() => parseCentralConfig({ retention: { partitions: { monthsAhead: 0 } } })).toThrow(
    /retention\.partitions\.monthsAhead/,
  );
  expect(() => parseCentralConfig({ retention: { cron: 'every day' } })).toThrow(/retention\.cron/);
  expect(() => parseCentralConfig({ retention: { readingsDays: -1 } })).toThrow(
    /retention\.readingsDays/,
  );
});
