/**
 * Retention of raw readings (issue #16 item 6): what the `lifecycle.retention` job costs. A year
 * of 15-minute readings per meter (the history bench's generator) is rolled up by the real
 * `metering.rollup` job; then the retention job, fired as the scheduler fires it, deletes the
 * first four months (cutoff = the fired instant − readingsDays), in batches of 5,000 checked
 * against each meter's rollup watermark. Baseline, same run, same database: one raw
 * `DELETE FROM readings WHERE ts < …` of the next four months (no batches, no watermark join).
 * Figures: rows deleted per second for each, and their ratio (job / raw). Both row counts are
 * checked (the job deleted exactly the readings before its cutoff).
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
import { type BenchCentral, startBenchCentral } from './lib/history-store.js';

const DAY_MS = 86_400_000;
/** The central's default retention (config `retention.readingsDays`). */
const READINGS_DAYS = 400;
const CUT_1 = YEAR_START + 120 * DAY_MS;
const CUT_2 = YEAR_START + 240 * DAY_MS;

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
    await insertYear(bc.central, stream, ids);
    await bc.fire('metering.rollup', new Date(YEAR_START + 366 * DAY_MS));
    log(`${store}: ${(meters * READINGS_PER_METER).toLocaleString('en')} readings, rolled up`);

    const jobRows = await count(bc, CUT_1);
    let t = performance.now();
    // Fired at cutoff + readingsDays: the job deletes everything before CUT_1.
    await bc.fire('lifecycle.retention', new Date(CUT_1 + READINGS_DAYS * DAY_MS));
    const jobMs = performance.now() - t;
    const left = await count(bc, CUT_1);
    if (left !== 0) throw new Error(`retention left ${left} readings before its cutoff`);

    const rawRows = await count(bc, CUT_2);
    t = performance.now();
    await sql`DELETE FROM readings WHERE ts < ${new Date(CUT_2)}`.execute(db);
    const rawMs = performance.now() - t;
    const jobRate = jobRows / (jobMs / 1000);
    const rawRate = rawRows / (rawMs / 1000);
    log(
      `${store}: job ${jobRows.toLocaleString('en')} rows in ${round(jobMs)} ms, raw ${rawRows.toLocaleString('en')} rows in ${round(rawMs)} ms`,
    );
    return [
      {
        metric: `${store}_retention_rows_per_s`,
        value: Math.round(jobRate),
        unit: 'rows/s',
        baseline: Math.round(rawRate),
      },
    ];
  } finally {
    await bc.close();
  }
}

const bench: Benchmark = async ({ log }) => [
  ...(await measure('pglite', sizes[0] ?? 8, log)),
  ...(await measure('postgres', sizes[1] ?? 30, log)),
];
export default bench;
