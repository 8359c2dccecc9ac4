import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sweepAlarms } from '../src/alarms/index.js';
import { mintToken } from '../src/auth/index.js';
import { bindMeter, createCustomer } from '../src/customers/index.js';
import { upsertEdgeCredential } from '../src/edges/index.js';
import {
  consumptionBetween,
  consumptionHistory,
  hourlyConsumption,
  rollupMeters,
} from '../src/metering/index.js';
import type { Database, Schema } from '../src/storage/index.js';
import { CPF_A, testApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

/**
 * Readings far apart in time — a reading dated 9999-12-31, a meter silent since 2000 — must never
 * make the central's work grow with the gap (issue #14). The readings are written straight into
 * the readings table, as rows stored before the ingest learnt to quarantine such times would be.
 * Before the fix, the rollup spread 9999's difference hour by hour over ~70 million hours in one
 * synchronous loop: these tests then ran out of heap instead of finishing.
 */

const NOW = new Date('2026-01-15T12:00:00Z');
const EVER = [new Date('1970-01-01T00:00:00Z'), new Date('9999-12-31T23:59:59Z')] as const;
const EDGE = 'edge-old-rows';

/** Writes readings as rows, the way they sit in a database from before the quarantine. */
async function insertRows(
  db: Kysely<Schema>,
  rows: ReadonlyArray<readonly [deviceId: string, at: string, kwh: number]>,
): Promise<Map<string, number>> {
  await upsertEdgeCredential(db, EDGE);
  const ids = new Map<string, number>();
  for (const deviceId of new Set(rows.map((r) => r[0]))) {
    const m = await db
      .insertInto('meters')
      .values({ edge_id: EDGE, device_id: deviceId })
      .onConflict((oc) => oc.columns(['edge_id', 'device_id']).doUpdateSet({ edge_id: EDGE }))
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.set(deviceId, m.id);
  }
  const stream = await db
    .insertInto('ingest_streams')
    .values({ edge_id: EDGE, epoch: `epoch-${Math.random().toString(36).slice(2, 10)}` })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('readings')
    .values(
      rows.map(([deviceId, at, kwh], i) => ({
        stream_id: stream.id,
        seq: i + 1,
        meter_id: ids.get(deviceId) as number,
        ts: new Date(at),
        quality: 'good',
        values: JSON.stringify({ energy_import: kwh }),
      })),
    )
    .execute();
  return ids;
}

describeEachStore('work bounded by the question, not by the gap', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let db: Kysely<Schema>;
  let api: ReturnType<typeof testApi>;
  let admin: string;
  let m: Map<string, number>;

  const rowsOf = async (meterId: number) => ({
    hourly: (
      await db
        .selectFrom('consumption_hourly')
        .select(['hour', 'wh'])
        .where('meter_id', '=', meterId)
        .orderBy('hour')
        .execute()
    ).map((r) => [new Date(r.hour).toISOString().slice(0, 13), Number(r.wh)]),
    runs: (
      await db
        .selectFrom('consumption_runs')
        .select(['start_hour', 'end_hour', 'wh_per_hour'])
        .where('meter_id', '=', meterId)
        .orderBy('start_hour')
        .execute()
    ).map((r) => [
      new Date(r.start_hour).toISOString().slice(0, 13),
      new Date(r.end_hour).toISOString().slice(0, 13),
      Number(r.wh_per_hour),
    ]),
  });
  const history = async (meterId: number, query: string) => {
    const r = await api.call('GET', `/api/v1/meters/${meterId}/consumption?${query}`, {
      token: admin,
    });
    expect(r.status, r.text).toBe(200);
    return r.body as {
      totalKwh: string;
      buckets: Array<{ start: string; kwh: string }>;
    };
  };
  const kwh = (h: { buckets: Array<{ start: string; kwh: string }> }) =>
    h.buckets.map((b) => [b.start, b.kwh]);

  beforeAll(async () => {
    database = await store.open();
    db = database.db;
    api = testApi(database);
    api.clock.now = NOW;
    admin = await mintToken(db, { role: 'admin' });
    m = await insertRows(db, [
      // The reproduction: one reading now, one dated 9999-12-31.
      ['future', '2026-01-15T10:00:00Z', 100],
      ['future', '9999-12-31T23:00:00Z', 200],
      // The same rows, for the day the clock reaches 9999.
      ['far', '2026-01-15T11:30:00Z', 101],
      ['far', '9999-12-31T23:00:00Z', 200],
      // Silent from 2000-01-01 until now: 228 276 h; 228 276 × 1000 + 500 Wh.
      ['silent', '2000-01-01T00:00:00Z', 0],
      ['silent', '2026-01-15T12:00:00Z', 228_276.5],
      // Rolled up by an older central that took a reading a year ahead (see the last test).
      ['ahead', '2026-01-15T09:00:00Z', 50],
      ['ahead', '2027-01-15T09:00:00Z', 60],
    ]);
  });
  afterAll(() => database.dispose());

  it('a reading dated 9999-12-31 waits past the horizon and does not stop later readings', async () => {
    const id = m.get('future') as number;
    await rollupMeters(db, [id], { now: NOW });
    // Only the reading at 10:00 is inside now + 1 h: no difference yet, nothing written.
    expect(await rowsOf(id)).toEqual({ hourly: [], runs: [] });
    // A genuine reading at 11:30 is not "late" behind the 9999 one: +1 kWh over 10:00–11:30,
    // weights 60 and 30 min → 666.67 and 333.33 Wh; the Wh left over goes to the larger remainder.
    await insertRows(db, [['future', '2026-01-15T11:30:00Z', 101]]);
    await rollupMeters(db, [id], { now: NOW });
    expect(await rowsOf(id)).toEqual({
      hourly: [
        ['2026-01-15T10', 667],
        ['2026-01-15T11', 333],
      ],
      runs: [],
    });
    const h = await history(
      id,
      'from=2026-01-15T10:00:00Z&to=2026-01-15T12:00:00Z&granularity=hour',
    );
    expect(kwh(h)).toEqual([
      ['2026-01-15T07:00', '0.667'],
      ['2026-01-15T08:00', '0.333'],
    ]);
  });

  it('when the clock reaches 9999 the 70-million-hour gap is one run, not an hour each', async () => {
    const id = m.get('far') as number;
    const at9999 = new Date('9999-12-31T23:30:00Z');
    await rollupMeters(db, [id], { now: at9999 });
    // +99 kWh over [2026-01-15T11:30, 9999-12-31T23:00): 0 Wh an hour, and the 99 000 Wh left
    // over go one each to the hours with the largest remainder — the whole hours, earliest first
    // (the half hour at 11:00 has half their remainder): 99 000 h from 2026-01-15T12:00, which
    // ends 4 125 days later, 2037-05-02T12:00.
    expect(await rowsOf(id)).toEqual({
      hourly: [],
      runs: [['2026-01-15T12', '2037-05-02T12', 1]],
    });
    const years = await consumptionHistory(db, {
      meterIds: [id],
      timeZone: 'UTC',
      granularity: 'year',
      range: { from: '2026-01-01', to: '2040-01-01' },
      now: at9999,
    });
    // 2026: 8 412 h from Jan 15 12:00 to the year's end × 1 Wh; 2027: 8 760 h; 2028 (leap):
    // 8 784 h; 2037: Jan 1 – May 2 12:00 = 121.5 days = 2 916 h; 2038 and on: nothing.
    expect(years.buckets).toHaveLength(14);
    expect(years.buckets.slice(0, 3).map((b) => b.wh)).toEqual([8412, 8760, 8784]);
    expect(years.buckets.slice(11).map((b) => [b.start, b.wh])).toEqual([
      ['2037', 2916],
      ['2038', 0],
      ['2039', 0],
    ]);
    expect(years.totalWh).toBe(99_000);
  });

  it('a meter silent since 2000: two runs, and history adds their share per bucket', async () => {
    const id = m.get('silent') as number;
    await rollupMeters(db, [id], { now: NOW });
    // 228 276 500 Wh over 228 276 whole hours: 1 000 Wh an hour and 500 Wh left over, one each to
    // the first 500 hours (until 2000-01-21T20:00).
    expect(await rowsOf(id)).toEqual({
      hourly: [],
      runs: [
        ['2000-01-01T00', '2000-01-21T20', 1001],
        ['2000-01-21T20', '2026-01-15T12', 1000],
      ],
    });
    // January 2000 by day: days 1–20 24 × 1 001; the 21st 20 × 1 001 + 4 × 1 000; then 24 000.
    // Total 20 × 24 024 + 24 020 + 10 × 24 000 = 744 500.
    const jan = await history(id, 'from=2000-01-01&to=2000-02-01&timeZone=UTC');
    expect(jan.buckets).toHaveLength(31);
    expect(
      new Set(
        kwh(jan)
          .slice(0, 20)
          .map((b) => b[1]),
      ),
    ).toEqual(new Set(['24.024']));
    expect(kwh(jan).slice(19, 22)).toEqual([
      ['2000-01-20', '24.024'],
      ['2000-01-21', '24.020'],
      ['2000-01-22', '24.000'],
    ]);
    expect(jan.totalKwh).toBe('744.500');
    // Last year by month: every hour 1 kWh, so each month is its hours: 744, 672, 744, …
    const year = await history(id, 'period=year&offset=1&timeZone=UTC');
    expect(kwh(year).map((b) => b[1])).toEqual(
      [744, 672, 744, 720, 744, 720, 744, 744, 720, 744, 720, 744].map((n) => `${n}.000`),
    );
    expect(year.totalKwh).toBe('8760.000');
    // The last hours: the reading at 12:00 closes 11:00; nothing after it.
    const today = await history(
      id,
      'from=2026-01-15T09:00:00Z&to=2026-01-15T13:00:00Z&granularity=hour&timeZone=UTC',
    );
    expect(kwh(today)).toEqual([
      ['2026-01-15T09:00', '1.000'],
      ['2026-01-15T10:00', '1.000'],
      ['2026-01-15T11:00', '1.000'],
      ['2026-01-15T12:00', '0.000'],
    ]);
    // 8 999 year buckets over nine millennia: all of it, once.
    const all = await history(id, 'from=1000-01-01&to=9999-01-01&granularity=year&timeZone=UTC');
    expect(all.buckets).toHaveLength(8999);
    expect(all.totalKwh).toBe('228276.500');
    expect(await consumptionBetween(db, [id], ...EVER)).toBe(228_276_500);
    // A run counts the hours that start inside the range: 20:00 and 21:00 (1 000 Wh each) start
    // in [19:59:59.999, 21:00:00.001); no hour starts in [19:00:00.001, 20:00).
    const between = (from: string, to: string) =>
      consumptionBetween(db, [id], new Date(from), new Date(to));
    expect(await between('2000-01-21T19:59:59.999Z', '2000-01-21T21:00:00.001Z')).toBe(2000);
    expect(await between('2000-01-21T19:00:00.001Z', '2000-01-21T20:00:00.000Z')).toBe(0);
    expect(await between('2000-01-21T19:00:00.000Z', '2000-01-21T20:00:00.000Z')).toBe(1001);
    // Hour by hour (time-of-use invoices): runs expanded inside the month asked for only.
    const feb = await hourlyConsumption(db, id, new Date('2025-02-01Z'), new Date('2025-03-01Z'));
    expect(feb).toHaveLength(672);
    expect(new Set(feb.map((h) => h.wh))).toEqual(new Set([1000]));
    const seam = await hourlyConsumption(
      db,
      id,
      new Date('2000-01-21T17:30:00Z'),
      new Date('2000-01-21T22:00:00Z'),
    );
    expect(seam.map((h) => [h.hour.toISOString().slice(11, 13), h.wh])).toEqual([
      ['18', 1001],
      ['19', 1001],
      ['20', 1000],
      ['21', 1000],
    ]);
    await expect(hourlyConsumption(db, id, ...EVER)).rejects.toMatchObject({
      code: 'GL_VALIDATION',
    });
  });

  it.each([
    ['hourly buckets for ten thousand years', 'from=0001-01-01&to=9999-01-01&granularity=hour'],
    ['hourly buckets for a century', 'from=1950-01-01&to=2050-01-01&granularity=hour'],
    ['daily buckets for a century', 'from=1950-01-01&to=2050-01-01&granularity=day'],
    ['monthly buckets for ten thousand years', 'from=0001-01-01&to=9999-01-01&granularity=month'],
  ])('asking for %s is a 400 that names the limit, not work', async (_name, query) => {
    const r = await api.call('GET', `/api/v1/meters/${m.get('silent')}/consumption?${query}`, {
      token: admin,
    });
    expect(r.status, r.text).toBe(400);
    expect(r.body.error.code).toBe('GL_VALIDATION');
    expect(r.body.error.message).toContain('10000');
  });

  it.each([
    ['to', 'from=9999-12-01&to=9999-12-31T23:00&granularity=day', 'America/Bahia'],
    ['from', 'from=0001-01-01&to=0001-02-01&timeZone=Asia/Tokyo', 'Asia/Tokyo'],
  ])(
    'a local %s that leaves years 1–9999 in its zone is a 400 that says so',
    async (name, query, zone) => {
      // 9999-12-31T23:00 in Bahia (UTC−3) is 10000-01-01T02:00Z; 0001-01-01 in Tokyo is 1 BC.
      const r = await api.call('GET', `/api/v1/meters/${m.get('silent')}/consumption?${query}`, {
        token: admin,
      });
      expect(r.status, r.text).toBe(400);
      expect(r.body.error).toEqual({
        code: 'GL_VALIDATION',
        message: `${name}: in ${zone} it falls outside 0001-01-01T00:00Z – 9999-12-31T23:59Z`,
      });
    },
  );

  it('the alarm sweep completes and bills the month from the runs', async () => {
    const ana = await createCustomer(db, {
      document: CPF_A,
      name: 'Ana',
      password: 'senha-da-ana',
      monthlyLimitKwh: 300,
    });
    await bindMeter(db, ana.id, { meterId: m.get('silent') as number });
    // Every meter is rolled up first, the 9999 rows included (they wait past the horizon).
    await sweepAlarms(db, { now: NOW });
    const alarms = await db
      .selectFrom('alarms')
      .select(['type', 'source', 'details'])
      .where('customer_id', '=', ana.id)
      .execute();
    // Month to date in Bahia (UTC−3): 2026-01-01T03:00Z to 12:00Z on the 15th = 345 h × 1 kWh
    // > 300 kWh. The last 24 h (24 kWh) against the mean day before (29 UTC days with data,
    // 672 kWh → 23.2 kWh) is under twice the baseline: no baseline alarm.
    expect(alarms.map((a) => [a.type, a.source])).toEqual([
      ['consumption.limit', `customer:${ana.id}`],
    ]);
    expect(alarms[0]?.details).toMatchObject({ monthToDateWh: 345_000, limitWh: 300_000 });
  });

  it('a flood of register resets is alarmed 1,000 events a sweep, not all at once', async () => {
    const ids = await insertRows(db, [['flood', '2026-01-15T08:00:00Z', 1]]);
    const meterId = ids.get('flood') as number;
    // 1 050 resets, as a register made to go backwards on every reading would leave.
    await db
      .insertInto('meter_register_events')
      .values(
        Array.from({ length: 1050 }, (_, i) => ({
          meter_id: meterId,
          ts: new Date(Date.parse('2026-01-15T08:00:00Z') + i * 1000),
          previous_wh: 2000,
          new_wh: 1000,
        })),
      )
      .execute();
    const taken = async () => {
      const cursor = await db
        .selectFrom('alarm_cursors')
        .select('last_id')
        .where('name', '=', 'meter.tamper')
        .executeTakeFirst();
      const r = await db
        .selectFrom('meter_register_events')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('meter_id', '=', meterId)
        .where('id', '<=', Number(cursor?.last_id ?? 0))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    };
    const seen: number[] = [];
    for (let sweep = 0; sweep < 2; sweep++) {
      await sweepAlarms(db, { now: NOW });
      seen.push(await taken());
    }
    expect(seen).toEqual([1000, 1050]);
    // One active alarm for the meter, raised once and refreshed for every other event.
    const alarms = await db
      .selectFrom('alarms')
      .select(['state', 'occurrences'])
      .where('source', '=', `meter:${meterId}`)
      .where('type', '=', 'meter.tamper')
      .execute();
    expect(alarms.map((a) => [a.state, Number(a.occurrences)])).toEqual([['ACTIVE_UNACK', 1050]]);
  });

  it('a watermark an older central left a year ahead is repaired, not kept', async () => {
    const id = m.get('ahead') as number;
    // The older central rolled the reading dated 2027 up: its watermark is a year ahead.
    await rollupMeters(db, [id], { now: new Date('2027-02-01T00:00:00Z') });
    expect(await consumptionBetween(db, [id], ...EVER)).toBe(10_000);
    // A genuine reading arrives at 11:00; the next rollup at NOW rolls the meter up again from its
    // first reading, up to the horizon: +1 kWh over 09:00–11:00 → 500 Wh an hour, and no energy
    // left in the future.
    await insertRows(db, [['ahead', '2026-01-15T11:00:00Z', 51]]);
    await rollupMeters(db, [id], { now: NOW });
    expect(await rowsOf(id)).toEqual({
      hourly: [
        ['2026-01-15T09', 500],
        ['2026-01-15T10', 500],
      ],
      runs: [],
    });
    expect(await consumptionBetween(db, [id], ...EVER)).toBe(1000);
  });
});
