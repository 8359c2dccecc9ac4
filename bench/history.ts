/**
 * Consumption history (issue 6): a year of 15-minute readings — 100 meters on PGlite, 1,000 on
 * PostgreSQL (≈ 3.5 M and 35 M readings) — generated in the database, rolled up by the real
 * `metering.rollup` job, then queried through the HTTP API on 127.0.0.1 as a client would:
 *   - a month by day: GET /api/v1/meters/{id}/consumption?from=YYYY-MM-01&to=…&granularity=day
 *     (target p99 ≤ 50 ms);
 *   - a year by month: the same, twelve months, granularity=month.
 * The route authenticates, rolls the meter up (nothing new: one locked watermark read), fills
 * every bucket with its local label and answers JSON. Baseline, in the same run and on the same
 * database: the same aggregate as one raw SQL query over consumption_hourly (local day or month,
 * sum of Wh), no HTTP. Each sample's answer is checked equal to the baseline's.
 *
 * Loading is bounded: meters are added in chunks (readings inserted, then the rollup job), and
 * no chunk starts after LOAD_BUDGET_MS; the figures name how many readings were loaded.
 * GRIDLINK_BENCH_HISTORY_METERS="pglite,postgres" overrides the sizes (e.g. "4,8" to try it).
 */
import { upsertEdgeCredential } from '@gridlink/central';
import { seededRandom } from '@gridlink/shared';
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

// GRIDLINK_BENCH_HISTORY_LOAD_MIN raises the budget for the full 35 M-reading PostgreSQL load.
const LOAD_BUDGET_MS = Number(process.env.GRIDLINK_BENCH_HISTORY_LOAD_MIN ?? 10) * 60_000;
const MONTH_SAMPLES = 500;
const YEAR_SAMPLES = 200;
const WARMUP = 20;
const ZONE = 'America/Bahia';
/** Local months of the generated year: 2025-11 … 2026-10. */
const MONTHS = Array.from({ length: 13 }, (_, i) => {
  const m = 10 + i; // 0-based month index from Jan 2025
  return `${2025 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}-01`;
});

const sizes = (process.env.GRIDLINK_BENCH_HISTORY_METERS ?? '100,1000').split(',').map(Number);

/** Bahia has no DST since 2013: local midnight is 03:00Z. */
const bahiaMidnight = (date: string) => new Date(`${date}T03:00:00Z`);

interface Bucket {
  wh: number;
}

async function load(
  bc: BenchCentral,
  meters: number,
  chunk: number,
  log: (l: string) => void,
): Promise<{ ids: number[]; loadMs: number; rollupMs: number }> {
  const db = bc.central.database.db;
  await upsertEdgeCredential(db, EDGE_ID);
  const stream = await benchStream(bc.central);
  // `readings` is partitioned by month (docs/LIFECYCLE.md "Partitions"): the year's months are
  // made by the maintenance job as the scheduler fires it (3 ahead each), as in production,
  // rather than left to the default partition.
  for (let m = 0; m <= 12; m += 4)
    await bc.fire('lifecycle.partitions', new Date(Date.UTC(2025, 10 + m, 1, 4, 15)));
  const ids: number[] = [];
  const started = performance.now();
  let rollupMs = 0;
  let slot = Date.parse('2026-11-01T12:00:00Z');
  while (ids.length < meters) {
    if (performance.now() - started > LOAD_BUDGET_MS) {
      log(`load budget of ${LOAD_BUDGET_MS / 60_000} min spent: stopping at ${ids.length} meters`);
      break;
    }
    const next = await addMeters(bc.central, ids.length + 1, Math.min(chunk, meters - ids.length));
    await insertYear(bc.central, stream, next);
    const t = performance.now();
    slot += 60_000;
    await bc.fire('metering.rollup', new Date(slot));
    rollupMs += performance.now() - t;
    ids.push(...next);
    log(
      `${ids.length} meters, ${(ids.length * READINGS_PER_METER).toLocaleString('en')} readings, ${round((performance.now() - started) / 1000)} s`,
    );
  }
  await sql`ANALYZE`.execute(db);
  return { ids, loadMs: performance.now() - started, rollupMs };
}

async function measure(
  store: 'pglite' | 'postgres',
  meters: number,
  chunk: number,
  log: (l: string) => void,
): Promise<Figure[]> {
  const bc = await startBenchCentral(store, log);
  if (!bc) return [];
  try {
    const { ids, loadMs, rollupMs } = await load(bc, meters, chunk, log);
    const db = bc.central.database.db;
    const readings = ids.length * READINGS_PER_METER;
    const { rows: check } = await sql<{ n: string; h: string }>`
      SELECT (SELECT count(*) FROM readings)::text AS n, (SELECT count(*) FROM consumption_hourly)::text AS h`.execute(
      db,
    );
    if (Number(check[0]?.n) !== readings) throw new Error(`expected ${readings} readings`);
    log(
      `${store}: ${readings} readings, ${check[0]?.h} hourly rows, loaded in ${round(loadMs / 1000)} s (rollup job ${round(rollupMs / 1000)} s)`,
    );

    const api = async (id: number, from: string, to: string, granularity: string) => {
      const res = await fetch(
        `${bc.central.http.url}/api/v1/meters/${id}/consumption?from=${from}&to=${to}&granularity=${granularity}`,
        { headers: { authorization: `Bearer ${bc.adminToken}` } },
      );
      if (res.status !== 200) throw new Error(`history: HTTP ${res.status} ${await res.text()}`);
      return ((await res.json()) as { buckets: Bucket[] }).buckets.map((b) => b.wh);
    };
    const raw = async (id: number, from: string, to: string, unit: 'day' | 'month') => {
      const { rows } = await sql<{ wh: string }>`
        SELECT date_trunc(${unit}, hour AT TIME ZONE ${ZONE}) AS local, sum(wh)::text AS wh
        FROM consumption_hourly
        WHERE meter_id = ${id} AND hour >= ${bahiaMidnight(from)} AND hour < ${bahiaMidnight(to)}
        GROUP BY 1 ORDER BY 1`.execute(db);
      return rows.map((r) => Number(r.wh));
    };

    const rand = seededRandom(6);
    const run = async (
      samples: number,
      pick: () => [number, string, string],
      unit: 'day' | 'month',
    ) => {
      const http: number[] = [];
      const base: number[] = [];
      for (let i = 0; i < samples + WARMUP; i++) {
        const [id, from, to] = pick();
        let t = performance.now();
        const b = await raw(id, from, to, unit);
        const tb = performance.now() - t;
        t = performance.now();
        const a = await api(id, from, to, unit);
        const ta = performance.now() - t;
        // Every bucket has data in the generated year: the two answers must be the same.
        if (JSON.stringify(a) !== JSON.stringify(b))
          throw new Error(`meter ${id} ${from}: API ${a.length} buckets differ from SQL`);
        if (i < WARMUP) continue;
        http.push(ta);
        base.push(tb);
      }
      return { http, base };
    };
    const pickMeter = () => ids[Math.floor(rand() * ids.length)] as number;
    const month = await run(
      MONTH_SAMPLES,
      () => {
        const m = Math.floor(rand() * 12);
        return [pickMeter(), MONTHS[m] as string, MONTHS[m + 1] as string];
      },
      'day',
    );
    const year = await run(
      YEAR_SAMPLES,
      () => [pickMeter(), MONTHS[0] as string, MONTHS[12] as string],
      'month',
    );
    const fig = (metric: string, http: number[], base: number[], p: number): Figure => ({
      metric: `${store}_${metric}_p${p}_ms`,
      value: round(percentile(http, p), 2),
      unit: 'ms',
      baseline: round(percentile(base, p), 2),
    });
    const figures: Figure[] = [
      { metric: `${store}_readings`, value: readings, unit: 'readings' },
      {
        metric: `${store}_rollup_job_readings_per_s`,
        value: round(readings / (rollupMs / 1000)),
        unit: 'readings/s',
      },
      fig('month_by_day', month.http, month.base, 50),
      fig('month_by_day', month.http, month.base, 99),
      fig('year_by_month', year.http, year.base, 50),
      fig('year_by_month', year.http, year.base, 99),
    ];
    for (const f of figures)
      log(`${f.metric}: ${f.value} ${f.unit} (baseline ${f.baseline ?? '-'})`);
    return figures;
  } finally {
    await bc.close();
  }
}

const bench: Benchmark = async ({ log }) => {
  const [lite = 100, postgres = 1000] = sizes;
  log(`year from ${new Date(YEAR_START).toISOString()}, ${READINGS_PER_METER} readings per meter`);
  return [
    ...(await measure('pglite', lite, 25, log)),
    ...(await measure('postgres', postgres, 50, log)),
  ];
};

export default bench;
