import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { bindMeter, createCustomer } from '../src/customers/index.js';
import { rollupJob } from '../src/jobs/index.js';
import { consumptionBetween, consumptionHistory, rollupMeters } from '../src/metering/index.js';
import type { Database } from '../src/storage/index.js';
import { CPF_A, CPF_B, testApi } from './helpers/api.js';
import { readingFeeder } from './helpers/readings.js';
import { describeEachStore } from './helpers/stores.js';

/**
 * One SDM630-like meter in Bahia (UTC−3, no DST since 2013) across a year and a month boundary,
 * with missing readings and a meter replacement. Local times in comments; kWh by hand:
 *   r1 2023-12-30 22:00  100.000
 *   r2 2023-12-31 00:00  101.000   +1  over 2 h  → 30 Dec
 *   r3 2023-12-31 23:00  124.000   +23 over 23 h → 31 Dec, 1 kWh per hour
 *   r4 2024-01-01 01:00  126.000   +2  over 2 h  → 1 kWh at 31 Dec 23:00, 1 kWh at 1 Jan 00:00
 *   r5 2024-01-02 00:00  149.000   +23 over 23 h → 1 Jan (readings missing all day)
 *   r6 2024-01-02 02:00    2.000   register went backwards: new meter, no energy, a reset event
 *   r7 2024-01-02 04:00    5.000   +3  → 2 Jan
 *   r8 2024-01-31 20:00   15.000   +10 over 712 h → 14 Wh an hour, the first 32 hours 15 Wh
 *   r9 2024-02-01 02:00   17.000   +2  over 6 h: 334, 334, 333, 333 (Jan) | 333, 333 (Feb)
 * Totals: Dec 2023 = 1 + 24 = 25.000; Jan 2024 = 24 + 3 + 10 + 1.334 = 38.334; Feb = 0.666.
 * Jan 2 = 3 + 20 h × 15 Wh = 3.300; Jan 3 = 12 × 15 + 12 × 14 = 0.348.
 */
const M1 = [
  ['2023-12-31T01:00:00Z', 100],
  ['2023-12-31T03:00:00Z', 101],
  ['2024-01-01T02:00:00Z', 124],
  ['2024-01-01T04:00:00Z', 126],
  ['2024-01-02T03:00:00Z', 149],
  ['2024-01-02T05:00:00Z', 2],
  ['2024-01-02T07:00:00Z', 5],
  ['2024-01-31T23:00:00Z', 15],
  ['2024-02-01T05:00:00Z', 17],
] as const;

const silent = pino({ level: 'silent' });

describeEachStore('consumption history from hourly rollups', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let api: ReturnType<typeof testApi>;
  let ids: Map<string, number>;
  let m1: number;
  let m2: number;
  const t: Record<string, string> = {};
  let feed: ReturnType<typeof readingFeeder>;
  /** What the scheduled `metering.rollup` job does at the test's clock (reads never roll up). */
  const rollUp = () => rollupJob({ db: database.db, logger: silent }).run(api.clock.now);

  beforeAll(async () => {
    database = await store.open();
    api = testApi(database);
    api.clock.now = new Date('2024-02-10T12:00:00Z');
    feed = readingFeeder(database.db, 'edge-h');
    // The first five readings arrive, then the rest: rollups are incremental.
    ids = await feed(
      M1.slice(0, 5).map(([at, kwh]) => ({
        deviceId: 'm1',
        at,
        values: { energy_import: kwh, voltage_l1: 221.5 },
      })),
    );
    m1 = ids.get('m1') as number;
    await rollupMeters(database.db);
    ids = await feed([
      ...M1.slice(5).map(([at, kwh]) => ({ deviceId: 'm1', at, values: { energy_import: kwh } })),
      // A bad-quality reading and one without the register are ignored.
      {
        deviceId: 'm1',
        at: '2024-02-01T06:00:00Z',
        values: { energy_import: 9999 },
        quality: 'bad',
      },
      { deviceId: 'm1', at: '2024-02-01T07:00:00Z', values: { voltage_l1: 220 } },
      // A second meter of the same customer: 0.5 kWh on 1 Jan 2024 (local 10:00–11:00).
      { deviceId: 'm2', at: '2024-01-01T13:00:00Z', values: { energy_import: 7.25 } },
      { deviceId: 'm2', at: '2024-01-01T14:00:00Z', values: { energy_import: 7.75 } },
      // A third meter of another customer.
      { deviceId: 'm3', at: '2024-01-01T13:00:00Z', values: { energy_import: 1 } },
      { deviceId: 'm3', at: '2024-01-01T14:00:00Z', values: { energy_import: 2 } },
    ]);
    m2 = ids.get('m2') as number;
    const ana = await createCustomer(database.db, {
      document: CPF_A,
      name: 'Ana',
      password: 'senha-da-ana',
    });
    const bia = await createCustomer(database.db, {
      document: CPF_B,
      name: 'Bia',
      password: 'senha-da-bia',
    });
    await bindMeter(database.db, ana.id, { meterId: m1 });
    await bindMeter(database.db, ana.id, { meterId: m2 });
    await bindMeter(database.db, bia.id, { meterId: ids.get('m3') as number });
    await rollUp();
    t.admin = await mintToken(database.db, { role: 'admin' });
    t.ana = await mintToken(database.db, { role: 'customer', subject: String(ana.id) });
    t.bia = await mintToken(database.db, { role: 'customer', subject: String(bia.id) });
  });
  afterAll(() => database.dispose());

  const history = (path: string, who = 'ana') =>
    api.call('GET', path, { token: t[who] }).then((r) => {
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body as { totalKwh: string; buckets: Array<{ start: string; kwh: string }> };
    });
  const nonZero = (b: Array<{ start: string; kwh: string }>) =>
    b.filter((x) => x.kwh !== '0.000').map((x) => [x.start, x.kwh]);

  it.each([
    {
      name: 'this year by month (offset 0)',
      query: 'period=year',
      total: '39.000',
      buckets: [
        ['2024-01', '38.334'],
        ['2024-02', '0.666'],
      ],
      count: 12,
    },
    {
      name: 'last year by month (offset 1) — the year boundary',
      query: 'period=year&offset=1',
      total: '25.000',
      buckets: [['2023-12', '25.000']],
      count: 12,
    },
    {
      name: 'last month (offset 1) as one bucket — the month boundary',
      query: 'period=month&offset=1&granularity=year',
      total: '38.334',
      buckets: [['2024', '38.334']],
      count: 1,
    },
    {
      name: 'an arbitrary range across new year, by day',
      query: 'from=2023-12-30&to=2024-01-04',
      total: '52.648',
      buckets: [
        ['2023-12-30', '1.000'],
        ['2023-12-31', '24.000'],
        ['2024-01-01', '24.000'],
        ['2024-01-02', '3.300'],
        ['2024-01-03', '0.348'],
      ],
      count: 5,
    },
    {
      name: 'hours around midnight of new year',
      query: 'from=2023-12-31T22:00&to=2024-01-01T02:00&granularity=hour',
      total: '4.000',
      buckets: [
        ['2023-12-31T22:00', '1.000'],
        ['2023-12-31T23:00', '1.000'],
        ['2024-01-01T00:00', '1.000'],
        ['2024-01-01T01:00', '1.000'],
      ],
      count: 4,
    },
    {
      name: 'the last hours of January and the first of February',
      query: 'from=2024-01-31T20:00&to=2024-02-01T02:00&granularity=hour',
      total: '2.000',
      buckets: [
        ['2024-01-31T20:00', '0.334'],
        ['2024-01-31T21:00', '0.334'],
        ['2024-01-31T22:00', '0.333'],
        ['2024-01-31T23:00', '0.333'],
        ['2024-02-01T00:00', '0.333'],
        ['2024-02-01T01:00', '0.333'],
      ],
      count: 6,
    },
    {
      name: 'instants with offsets are taken as they are',
      query: 'from=2024-01-31T23:00:00Z&to=2024-02-01T05:00:00Z&granularity=month',
      total: '2.000',
      buckets: [
        ['2024-01', '1.334'],
        ['2024-02', '0.666'],
      ],
      count: 2,
    },
  ])('meter: $name', async ({ query, total, buckets, count }) => {
    const h = await history(`/api/v1/meters/${m1}/consumption?${query}`);
    expect(h.totalKwh).toBe(total);
    expect(nonZero(h.buckets)).toEqual(buckets);
    expect(h.buckets).toHaveLength(count);
  });

  it('the current month (offset 0) is February, by day, in the customer zone', async () => {
    const h = await history(`/api/v1/meters/${m1}/consumption`);
    expect(h.buckets).toHaveLength(29);
    expect(h.buckets[0]).toMatchObject({
      start: '2024-02-01',
      startsAt: '2024-02-01T03:00:00.000Z',
    });
    expect(h.totalKwh).toBe('0.666');
  });

  it('a customer history sums its meters; each meter stays separate', async () => {
    const day = 'from=2024-01-01&to=2024-01-02';
    const ana = await history(`/api/v1/customers/1/consumption?${day}`);
    expect(ana.totalKwh).toBe('24.500');
    expect((await history(`/api/v1/meters/${m2}/consumption?${day}`)).totalKwh).toBe('0.500');
    const bia = await history(`/api/v1/customers/2/consumption?${day}`, 'bia');
    expect(bia.totalKwh).toBe('1.000');
  });

  it('a customer cannot read another customer’s meter or history (404)', async () => {
    for (const path of [`/api/v1/meters/${m1}/consumption`, '/api/v1/customers/1/consumption']) {
      const r = await api.call('GET', path, { token: t.bia });
      expect(r.status).toBe(404);
    }
  });

  it('records the register reset once, and re-running the rollup changes nothing', async () => {
    const rolledUp = async () => ({
      hours: await database.db
        .selectFrom('consumption_hourly')
        .selectAll()
        .orderBy('meter_id')
        .orderBy('hour')
        .execute(),
      runs: await database.db
        .selectFrom('consumption_runs')
        .selectAll()
        .orderBy('meter_id')
        .orderBy('start_hour')
        .execute(),
    });
    const before = await rolledUp();
    await Promise.all([rollupMeters(database.db), rollupMeters(database.db)]);
    await rollupMeters(database.db);
    const after = await rolledUp();
    expect(after).toEqual(before);
    // r7 → r8 (712 h, +10 kWh) is two runs, not 712 hourly rows: 10 000 Wh / 712 h = 14 Wh an
    // hour and 32 Wh left over, one each to the first 32 hours (07:00 on the 2nd to 15:00 on the 3rd).
    expect(
      after.runs.map((r) => [
        r.meter_id,
        new Date(r.start_hour).toISOString(),
        new Date(r.end_hour).toISOString(),
        Number(r.wh_per_hour),
      ]),
    ).toEqual([
      [m1, '2024-01-02T07:00:00.000Z', '2024-01-03T15:00:00.000Z', 15],
      [m1, '2024-01-03T15:00:00.000Z', '2024-01-31T23:00:00.000Z', 14],
    ]);
    const events = await database.db
      .selectFrom('meter_register_events')
      .select(['meter_id', 'previous_wh', 'new_wh'])
      .execute();
    expect(events.map((e) => [e.meter_id, Number(e.previous_wh), Number(e.new_wh)])).toEqual([
      [m1, 149_000, 2_000],
    ]);
    // Every register difference except the reset: 64 kWh (m1) + 0.5 (m2) + 1 (m3), of which
    // 10 kWh are in m1's runs: 32 × 15 + 680 × 14 = 480 + 9 520.
    const all = [m1, m2, ids.get('m3') as number];
    const ever = [new Date('2000-01-01T00:00:00Z'), new Date('2100-01-01T00:00:00Z')] as const;
    expect(await consumptionBetween(database.db, all, ...ever)).toBe(65_500);
    expect(after.hours.reduce((a, r) => a + Number(r.wh), 0)).toBe(55_500);
  });

  it('DST: a local day in São Paulo 2018 where clocks jumped has 23 hours', async () => {
    const h = await consumptionHistory(database.db, {
      meterIds: [m1],
      timeZone: 'America/Sao_Paulo',
      granularity: 'hour',
      range: { from: '2018-11-04', to: '2018-11-05' },
      now: new Date('2024-02-10T12:00:00Z'),
    });
    expect(h.buckets).toHaveLength(23);
    const days = await consumptionHistory(database.db, {
      meterIds: [m1],
      timeZone: 'America/Sao_Paulo',
      granularity: 'day',
      range: { period: 'month', offset: 63 },
      now: new Date('2024-02-10T12:00:00Z'),
    });
    // November 2018: 30 local days, from 2018-11-01T03:00Z (UTC−3 before DST began on the 4th).
    expect(days.buckets).toHaveLength(30);
    expect(days.from).toBe('2018-11-01T03:00:00.000Z');
    expect(days.to).toBe('2018-12-01T02:00:00.000Z');
  });

  it.each([
    ['from without to', 'from=2024-01-01'],
    ['from after to', 'from=2024-01-02&to=2024-01-01'],
    ['a garbled date', 'from=yesterday&to=2024-01-01'],
    ['too many buckets', 'from=2000-01-01&to=2024-01-01&granularity=hour'],
    ['a negative offset', 'period=month&offset=-1'],
    ['an unknown zone', 'timeZone=Mars/Base'],
  ])('rejects %s with 400', async (_label, query) => {
    const r = await api.call('GET', `/api/v1/meters/${m1}/consumption?${query}`, {
      token: t.admin,
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('GL_VALIDATION');
  });
});

describeEachStore('consumption reads never write', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let api: ReturnType<typeof testApi>;
  let admin: string;
  beforeAll(async () => {
    database = await store.open();
    api = testApi(database);
    api.clock.now = new Date('2024-02-10T12:00:00Z');
    admin = await mintToken(database.db, { role: 'admin' });
  });
  afterAll(() => database.dispose());

  it('a reading stored after the last rollup is in the history once the rollup job has run, not before', async () => {
    const feed = readingFeeder(database.db, 'edge-r');
    // +1 kWh on 9 Feb (local 10:00-11:00 in Bahia).
    const ids = await feed([
      { deviceId: 'm4', at: '2024-02-09T13:00:00Z', values: { energy_import: 10 } },
      { deviceId: 'm4', at: '2024-02-09T14:00:00Z', values: { energy_import: 11 } },
    ]);
    const m4 = ids.get('m4') as number;
    const path = `/api/v1/meters/${m4}/consumption?from=2024-02-09&to=2024-02-10&granularity=day`;
    const read = async () => {
      const r = await api.call('GET', path, { token: admin });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return (r.body as { totalKwh: string }).totalKwh;
    };
    const rolledUpRows = () =>
      Promise.all([
        database.db.selectFrom('meter_rollup_state').selectAll().execute(),
        database.db.selectFrom('consumption_hourly').selectAll().execute(),
      ]);
    expect(await read()).toBe('0.000');
    expect(await rolledUpRows()).toEqual([[], []]);
    // What the scheduled metering.rollup job does at its instant.
    await rollupJob({ db: database.db, logger: pino({ level: 'silent' }) }).run(api.clock.now);
    expect(await read()).toBe('1.000');
  });
});
