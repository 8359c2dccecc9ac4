/**
 * Retention of raw readings (issue #16 item 6): what the `lifecycle.retention` job costs. A year
 * of 15-minute readings per meter (the history bench's generator) is rolled up by the real
 * `metering.rollup` job; then the retention job, fired as the scheduler fires it, deletes the
 * first four months (cutoff = the fired instant − readingsDays), in batches of 5,000 checked
 * against each meter's rollup watermark. Baseline, same run, same database: one raw
 * `DELETE FROM readings WHERE ts < …` of the next four months (no batches, no watermark join).
 * Figures: rows deleted per second for each, and their ratio (job / raw). Both row counts are
 * checked (the job deleted exactly the readings before its cutoff). `readings` is partitioned by
 * month (docs/LIFECYCLE.md "Partitions"): the `lifecycle.partitions` job, fired at each month of
 * the year, makes them before the load, so the job drops whole months and deletes rows only of
 * the month that straddles its cutoff.
 * History stays flat: one day of one meter's raw readings (GET /api/v1/meters/{id}/readings, a
 * September day) is timed with the whole year in the table and again after both deletions left
 * about a third of it (same query, same meters): p50/p99 at each size, and the partitions the
 * plan reads.
 * GRIDLINK_BENCH_RETENTION_METERS="pglite,postgres" sets the sizes (default 8 and 30 meters:
 * ≈ 280 k and 1 M readings).
 */
import { upsertEdgeCredential } from '@gridlink/central';
import { sql } from 'kysely';
import type { Benchmark, Figure } from './lib/figure.js';
import { round } from './lib/figure.js';
import {
  addMeters,
  benchStream,
  EDGE_ID,
  insertYear,
  READINGS_PER_METER,
  YEAR_START,
} from './lib/history-data.js';
import { type BenchCentral, percentile, startBenchCentral } from './lib/history-store.js';

const DAY_MS = 86_400_000;
/** The central's default retention (config `retention.readingsDays`). */
const READINGS_DAYS = 400;
const CUT_1 = YEAR_START + 120 * DAY_MS;
const CUT_2 = YEAR_START + 240 * DAY_MS;

const DAY_SAMPLES = 300;
const WARMUP = 30;
/** The day read by the history figure: in the last third, which neither deletion touches. */
const DAY_FROM = '2026-09-15T03:00:00Z';
const DAY_TO = '2026-09-16T03:00:00Z';

const sizes = (process.env.GRIDLINK_BENCH_RETENTION_METERS ?? '8,30').split(',').map(Number);

async function count(bc: BenchCentral, before: number): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    SELECT count(*)::text AS n FROM readings
     WHERE ts < ${new Date(before)}`.execute(bc.central.database.db);
  return Number(rows[0]?.n ?? 0);
}

async function measure(
  store: 'pglite' | 'postgres',
  meters: number,
  log: (l: string) => void,
): Promise<Figure[]> {
  const bc = await startBenchCentral(store, log);
  if (!bc) return [];
  try {
    const db = bc.central.database.db;
    await upsertEdgeCredential(db, EDGE_ID);
    const stream = await benchStream(bc.central);
    const ids = await addMeters(bc.central, 1, meters);
    // The year's months, made by the maintenance job as the scheduler fires it (3 ahead each).
    for (let m = 0; m <= 12; m += 4)
      await bc.fire('lifecycle.partitions', new Date(Date.UTC(2025, 10 + m, 1, 4, 15)));
    await insertYear(bc.central, stream, ids);
    await sql`ANALYZE readings`.execute(db);
    const dayPlan = await planPartitions(bc, ids[0] as number);
    const whole = await timeDay(bc, ids);
    await bc.fire('metering.rollup', new Date(YEAR_START + 366 * DAY_MS));
    log(`${store}: ${(meters * READINGS_PER_METER).toLocaleString('en')} readings, rolled up`);

    const jobRows = await count(bc, CUT_1);
    const monthsBefore = await monthsLeft(bc);
    let t = performance.now();
    // Fired at cutoff + readingsDays: the job deletes everything before CUT_1.
    await bc.fire('lifecycle.retention', new Date(CUT_1 + READINGS_DAYS * DAY_MS));
    const jobMs = performance.now() - t;
    const months = await monthsLeft(bc);
    const left = await count(bc, CUT_1);
    if (left !== 0) throw new Error(`retention left ${left} readings before its cutoff`);

    const rawRows = await count(bc, CUT_2);
    t = performance.now();
    await sql`DELETE FROM readings WHERE ts < ${new Date(CUT_2)}`.execute(db);
    const rawMs = performance.now() - t;
    await sql`ANALYZE readings`.execute(db);
    const third = await timeDay(bc, ids);
    const { rows: left3 } = await sql<{ n: string }>`
      SELECT count(*)::text AS n FROM readings`.execute(db);
    const jobRate = jobRows / (jobMs / 1000);
    const rawRate = rawRows / (rawMs / 1000);
    log(`${store}: the job dropped ${monthsBefore - months} month partitions whole`);
    log(
      `${store}: job ${jobRows.toLocaleString('en')} rows in ${round(jobMs)} ms, raw ${rawRows.toLocaleString('en')} rows in ${round(rawMs)} ms`,
    );
    const total = meters * READINGS_PER_METER;
    log(
      `${store}: one day of a meter, ${total.toLocaleString('en')} readings p50 ${round(whole.p50, 2)} ms p99 ${round(whole.p99, 2)} ms; ${Number(left3[0]?.n).toLocaleString('en')} readings p50 ${round(third.p50, 2)} ms p99 ${round(third.p99, 2)} ms; plan reads ${dayPlan.join(', ')}`,
    );
    // Baseline of the day figures: the same query with a third of the rows.
    return [
      {
        metric: `${store}_retention_rows_per_s`,
        value: Math.round(jobRate),
        unit: 'rows/s',
        baseline: Math.round(rawRate),
      },
      {
        metric: `${store}_history_day_rows_ratio`,
        value: round(total / Number(left3[0]?.n), 2),
        unit: 'x',
      },
      {
        metric: `${store}_history_day_p50_ms`,
        value: round(whole.p50, 2),
        unit: 'ms',
        baseline: round(third.p50, 2),
      },
      {
        metric: `${store}_history_day_p99_ms`,
        value: round(whole.p99, 2),
        unit: 'ms',
        baseline: round(third.p99, 2),
      },
    ];
  } finally {
    await bc.close();
  }
}

/** How many month partitions `readings` has. */
async function monthsLeft(bc: BenchCentral): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    SELECT count(*)::text AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'readings'::regclass AND c.relname ~ '^readings_[0-9]{6}$'`.execute(
    bc.central.database.db,
  );
  return Number(rows[0]?.n);
}

/** p50 and p99 of one day of a meter's raw readings over HTTP, meters picked in turn. */
async function timeDay(bc: BenchCentral, ids: readonly number[]) {
  const samples: number[] = [];
  for (let i = 0; i < DAY_SAMPLES + WARMUP; i++) {
    const id = ids[i % ids.length] as number;
    const t = performance.now();
    const res = await fetch(
      `${bc.central.http.url}/api/v1/meters/${id}/readings?from=${DAY_FROM}&to=${DAY_TO}`,
      { headers: { authorization: `Bearer ${bc.adminToken}` } },
    );
    const body = (await res.json()) as { items: unknown[] };
    const ms = performance.now() - t;
    if (res.status !== 200 || body.items.length !== 96)
      throw new Error(`meter ${id}: HTTP ${res.status}, ${body.items?.length} readings of a day`);
    if (i >= WARMUP) samples.push(ms);
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** The partitions a day's query of one meter reads (EXPLAIN of the route's query shape). */
async function planPartitions(bc: BenchCentral, id: number): Promise<string[]> {
  const { rows } = await sql<{ 'QUERY PLAN': string }>`
    EXPLAIN SELECT ts, quality, values, stream_id, seq FROM readings
     WHERE meter_id = ${id} AND ts >= ${new Date(DAY_FROM)} AND ts < ${new Date(DAY_TO)}
     ORDER BY ts, stream_id, seq LIMIT 1001`.execute(bc.central.database.db);
  const text = rows.map((r) => r['QUERY PLAN']).join('\n');
  return [...new Set(text.match(/readings_(\d{6}|default)/g))];
}

const bench: Benchmark = async ({ log }) => [
  ...(await measure('pglite', sizes[0] ?? 8, log)),
  ...(await measure('postgres', sizes[1] ?? 30, log)),
];
export default bench;
