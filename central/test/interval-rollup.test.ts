import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  consumptionBetween,
  consumptionHistory,
  hourlyConsumption,
  rebuildRollup,
  rollupMeters,
  setMeteringSettings,
} from '../src/metering/index.js';
import type { Database } from '../src/storage/index.js';
import { readingFeeder } from './helpers/readings.js';
import { describeEachStore } from './helpers/stores.js';

/**
 * Seed D meters send kWh consumed since their previous datagram (`energy_interval`). Amounts by
 * hand (UTC; each goes to the hour holding the end of its interval, i.e. ts − 1 ms):
 *   10:15  0.4004 kWh → 10:00  400 Wh, 0.4 Wh carried
 *   11:00  0.2    kWh → 10:00  200 Wh (11:00 closes the 10:00 hour), 0.4 Wh carried
 *   11:30  0.0006 kWh → 11:00    1 Wh (0.4 + 0.6 completes it), nothing carried
 *   12:00  5 kWh, quality bad      → ignored (counted)
 *   12:30  −1 kWh                  → ignored (counted)
 *   14:00  1.5    kWh → 13:00 1500 Wh; [11:30, 14:00) is a gap (2.5 h > 1 h)
 * Later batch: 12:20 0.3 kWh arrives late (older than 14:00) → 12:00 300 Wh; the gap becomes
 * [12:20, 14:00) (11:30 → 12:20 is 50 min, no gap); 14:30 0.05 kWh → 14:00 50 Wh.
 */
const DAY = '2024-11-10';
const at = (hhmm: string) => `${DAY}T${hhmm}:00Z`;
const iso = (hhmm: string) => new Date(at(hhmm)).toISOString();
const NOW = new Date('2024-11-20T12:00:00Z');

describeEachStore('interval meters: amounts into hours, gaps, late readings', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let feed: ReturnType<typeof readingFeeder>;
  let d1: number;
  let both: number;
  const wh = (meter: number) =>
    consumptionBetween(database.db, [meter], new Date(at('00:00')), new Date(`2024-11-11T00:00Z`));
  const hours = async (meter: number) =>
    (await hourlyConsumption(database.db, meter, new Date(at('00:00')), new Date(at('23:00')))).map(
      (h) => [h.hour.toISOString().slice(11, 16), h.wh],
    );
  const gaps = async (meter: number) => {
    const { rows } = await sql<{ f: Date; t: Date }>`
      SELECT from_ts AS f, to_ts AS t FROM meter_interval_gaps WHERE meter_id = ${meter}
      ORDER BY from_ts`.execute(database.db);
    return rows.map((r) => [new Date(r.f).toISOString(), new Date(r.t).toISOString()]);
  };

  beforeAll(async () => {
    database = await store.open();
    await setMeteringSettings(database.db, { intervalGapMs: 3_600_000, excessReadingKwh: 1000 });
    feed = readingFeeder(database.db, 'edge-d');
    const ids = await feed([
      { deviceId: 'd1', at: at('10:15'), values: { energy_interval: 0.4004 } },
      { deviceId: 'd1', at: at('11:00'), values: { energy_interval: 0.2 } },
      { deviceId: 'd1', at: at('11:30'), values: { energy_interval: 0.0006 } },
      { deviceId: 'd1', at: at('12:00'), values: { energy_interval: 5 }, quality: 'bad' },
      { deviceId: 'd1', at: at('12:30'), values: { energy_interval: -1 } },
      { deviceId: 'd1', at: at('14:00'), values: { energy_interval: 1.5 } },
      // A meter sending both: its register counts (2 kWh), its interval amounts do not (9 kWh).
      { deviceId: 'both', at: at('10:00'), values: { energy_import: 10, energy_interval: 7 } },
      { deviceId: 'both', at: at('11:00'), values: { energy_import: 12, energy_interval: 2 } },
    ]);
    d1 = ids.get('d1') as number;
    both = ids.get('both') as number;
  });
  afterAll(() => database.dispose());

  it('adds each amount to the hour holding its end, in whole Wh with the remainder carried', async () => {
    const r = await rollupMeters(database.db, undefined, { now: NOW });
    expect(r).toMatchObject({ intervals: 4, intervalsIgnored: 2 });
    expect(await hours(d1)).toEqual([
      ['10:00', 600],
      ['11:00', 1],
      ['13:00', 1500],
    ]);
    expect(await wh(d1)).toBe(2101);
    const { rows } = await sql<{ carry: string; ignored: string }>`
      SELECT interval_carry_mwh::text AS carry, interval_ignored::text AS ignored
      FROM meter_rollup_state WHERE meter_id = ${d1}`.execute(database.db);
    expect(rows[0]).toEqual({ carry: '0', ignored: '2' });
    expect(await wh(both)).toBe(2000);
  });

  it('records a missing interval as a gap; bad and negative readings leave it a gap', async () => {
    expect(await gaps(d1)).toEqual([[iso('11:30'), iso('14:00')]]);
  });

  it('a late reading still counts (its energy is in no other reading) and splits the gap', async () => {
    await feed([
      { deviceId: 'd1', at: at('12:20'), values: { energy_interval: 0.3 } },
      { deviceId: 'd1', at: at('14:30'), values: { energy_interval: 0.05 } },
    ]);
    const r = await rollupMeters(database.db, undefined, { now: NOW });
    expect(r).toMatchObject({ intervals: 2, intervalsIgnored: 0 });
    expect(await hours(d1)).toEqual([
      ['10:00', 600],
      ['11:00', 1],
      ['12:00', 300],
      ['13:00', 1500],
      ['14:00', 50],
    ]);
    expect(await gaps(d1)).toEqual([[iso('12:20'), iso('14:00')]]);
  });

  it('rolling up again, concurrently, or rebuilding adds nothing twice', async () => {
    const before = await hours(d1);
    const runs = await Promise.all(
      [1, 2, 3].map(() => rollupMeters(database.db, undefined, { now: NOW })),
    );
    expect(runs.reduce((a, r) => a + r.intervals, 0)).toBe(0);
    expect(await hours(d1)).toEqual(before);
    await rebuildRollup(database.db, d1, { now: NOW });
    expect(await hours(d1)).toEqual(before);
    expect(await gaps(d1)).toEqual([[iso('12:20'), iso('14:00')]]);
    expect(await wh(both)).toBe(2000);
  });

  it('a burst of readings rolled up by racing rollups is added exactly once', async () => {
    const base = Date.parse('2024-11-12T00:00:00Z');
    await feed(
      Array.from({ length: 300 }, (_, i) => ({
        deviceId: 'burst',
        at: new Date(base + (i + 1) * 60_000).toISOString(),
        values: { energy_interval: 0.0123 },
      })),
    );
    const runs = await Promise.all(
      [1, 2, 3].map(() => rollupMeters(database.db, undefined, { now: NOW, batchSize: 37 })),
    );
    expect(runs.reduce((a, r) => a + r.intervals, 0)).toBe(300);
    const { rows } = await sql<{ id: number }>`
      SELECT id FROM meters WHERE device_id = 'burst'`.execute(database.db);
    const burst = (rows[0] as { id: number }).id;
    // 300 × 12.3 Wh = 3690 Wh exactly: 60 readings per hour, 738 Wh each of the five hours.
    expect(
      await consumptionBetween(
        database.db,
        [burst],
        new Date(base),
        new Date(base + 6 * 3_600_000),
      ),
    ).toBe(3690);
    expect(
      (
        await hourlyConsumption(database.db, burst, new Date(base), new Date(base + 6 * 3_600_000))
      ).map((h) => h.wh),
    ).toEqual([738, 738, 738, 738, 738]);
  });

  it('history returns the gaps overlapping the range, and widens a sub-hour range to whole hours', async () => {
    const q = (from: string, to: string) =>
      consumptionHistory(database.db, {
        meterIds: [d1],
        timeZone: 'UTC',
        granularity: 'hour',
        range: { from, to },
        now: NOW,
      });
    const h = await q(at('10:00'), at('15:00'));
    expect(h.roundedToHours).toBe(false);
    expect(h.buckets.map((b) => b.wh)).toEqual([600, 1, 300, 1500, 50]);
    expect(h.gaps).toEqual([{ from: iso('12:20'), to: iso('14:00') }]);
    expect((await q(at('10:00'), at('12:00'))).gaps).toEqual([]);
    // 10:15–10:45 cuts the 10:00 hour: widened to it, and said so (it used to answer 0 Wh).
    const part = await q(at('10:15'), at('10:45'));
    expect(part).toMatchObject({
      roundedToHours: true,
      from: iso('10:00'),
      to: iso('11:00'),
      totalWh: 600,
    });
    expect(part.buckets).toHaveLength(1);
  });

  it('a reading dated past the horizon waits for its time, and holds back its stream', async () => {
    const feedLate = readingFeeder(database.db, 'edge-future');
    const ids = await feedLate([
      { deviceId: 'f1', at: '2024-11-20T14:00:00Z', values: { energy_interval: 2 } },
      { deviceId: 'f1', at: '2024-11-20T12:30:00Z', values: { energy_interval: 1 } },
    ]);
    const f1 = ids.get('f1') as number;
    const day = [new Date('2024-11-20T00:00:00Z'), new Date('2024-11-21T00:00:00Z')] as const;
    await rollupMeters(database.db, undefined, { now: NOW }); // horizon 13:00
    expect(await consumptionBetween(database.db, [f1], ...day)).toBe(0);
    await rollupMeters(database.db, undefined, { now: new Date('2024-11-20T13:00:00Z') });
    expect(await consumptionBetween(database.db, [f1], ...day)).toBe(3000);
  });
});
