/**
 * Invoicing (issue 6): time for the `billing.close-period` job — fired as cron fires it, the 1st
 * at 03:00 local — to invoice 10,000 meters for one month: per meter, roll up (nothing new), read
 * the month's consumption from the hourly rollups (the whole month of hours for Tarifa Branca),
 * price it with `computeInvoice` (energy, bandeira proration, minimum charge, taxes por dentro,
 * CIP), insert the invoice and its Pix BR Code in one transaction. Also the re-run (every invoice
 * exists: the idempotent path). Baseline, same run, same database: one raw INSERT … SELECT
 * unnest(…) of 10,000 invoice-shaped rows (the very lines/totals the job produced) into a copy of
 * the invoices table. Customers, meters and rollups are generated in the database first.
 * Run on PGlite and, when reachable, PostgreSQL. GRIDLINK_BENCH_INVOICING_METERS overrides 10,000.
 */
import { upsertEdgeCredential } from '@gridlink/central';
import { sql } from 'kysely';
import type { Benchmark, Figure } from './lib/figure.js';
import { round } from './lib/figure.js';
import { startBenchCentral } from './lib/history-store.js';
import {
  CLOSE_AT,
  EDGE_ID,
  generateCustomers,
  generateRollups,
  PERIOD,
} from './lib/invoicing-data.js';

const METERS = Number(process.env.GRIDLINK_BENCH_INVOICING_METERS ?? 10_000);
const PIX = {
  key: '123e4567-e12b-12d1-a456-426655440000',
  merchantName: 'GridLink Energia',
  merchantCity: 'Salvador',
};

async function measure(store: 'pglite' | 'postgres', log: (l: string) => void): Promise<Figure[]> {
  const bc = await startBenchCentral(store, log, { pix: PIX, dueDays: 10 });
  if (!bc) return [];
  try {
    const db = bc.central.database.db;
    await upsertEdgeCredential(db, EDGE_ID);
    let t = performance.now();
    const ids = await generateCustomers(bc.central, METERS);
    await generateRollups(bc.central, ids);
    log(
      `${store}: ${ids.length} customers, meters and a month of hourly rollups generated in ${round((performance.now() - t) / 1000)} s`,
    );

    t = performance.now();
    await bc.fire('billing.close-period', CLOSE_AT);
    const closeS = (performance.now() - t) / 1000;
    const { rows: run } = await sql<{
      result: { closed: Array<{ period: string; issued: number }>; pending: unknown[] };
    }>`
      SELECT result FROM job_runs WHERE job = 'billing.close-period'`.execute(db);
    // The job closes every due period, oldest first (docs/JOBS.md): here the one month.
    const result = run[0]?.result;
    const issued = result?.closed.reduce((n, c) => n + c.issued, 0);
    if (issued !== METERS || result?.pending.length !== 0)
      throw new Error(`close: ${JSON.stringify(result).slice(0, 300)}`);
    const { rows: stats } = await sql<{ n: string; pix: string; total: string }>`
      SELECT count(*)::text AS n, count(pix_payload)::text AS pix, sum(total_centavos)::text AS total
      FROM invoices WHERE period_start = ${`${PERIOD}-01`}::date`.execute(db);
    log(
      `${store}: ${stats[0]?.n} invoices (${stats[0]?.pix} with Pix), R$ ${Number(stats[0]?.total) / 100} in ${round(closeS, 2)} s`,
    );

    t = performance.now();
    await bc.fire('billing.close-period', new Date(CLOSE_AT.getTime() + 60_000));
    const rerunS = (performance.now() - t) / 1000;

    // Baseline: the same rows, one raw INSERT of invoice-shaped rows into a copy of the table.
    await sql`CREATE TABLE invoices_raw (LIKE invoices INCLUDING ALL)`.execute(db);
    const rows = (
      await sql<Record<string, unknown>>`
        SELECT meter_id, customer_id, period_start::text AS ps, period_end::text AS pe, time_zone,
               tariff_id, consumption_wh::text AS cw, billed_wh::text AS bw, lines::text AS lines,
               totals::text AS totals, total_centavos::text AS tc, due_date::text AS due,
               pix_payload, issued_at FROM invoices ORDER BY id`.execute(db)
    ).rows;
    const col = (k: string) => rows.map((r) => r[k]);
    t = performance.now();
    await sql`
      INSERT INTO invoices_raw (meter_id, customer_id, period_start, period_end, time_zone, tariff_id,
        consumption_wh, billed_wh, lines, totals, total_centavos, due_date, pix_payload, issued_at)
      SELECT * FROM unnest(${col('meter_id')}::int[], ${col('customer_id')}::int[], ${col('ps')}::date[],
        ${col('pe')}::date[], ${col('time_zone')}::text[], ${col('tariff_id')}::text[], ${col('cw')}::bigint[],
        ${col('bw')}::bigint[], ${col('lines')}::jsonb[], ${col('totals')}::jsonb[], ${col('tc')}::bigint[],
        ${col('due')}::date[], ${col('pix_payload')}::text[], ${col('issued_at')}::timestamptz[])`.execute(
      db,
    );
    const rawS = (performance.now() - t) / 1000;
    log(
      `${store}: close ${round(closeS, 2)} s, re-run ${round(rerunS, 2)} s, raw insert ${round(rawS, 3)} s`,
    );
    return [
      {
        metric: `${store}_invoice_${METERS}_meters_s`,
        value: round(closeS, 2),
        unit: 's',
        baseline: round(rawS, 3),
      },
      {
        metric: `${store}_invoices_per_s`,
        value: round(METERS / closeS),
        unit: 'invoices/s',
        baseline: round(METERS / rawS),
      },
      {
        metric: `${store}_rerun_${METERS}_meters_s`,
        value: round(rerunS, 2),
        unit: 's',
        baseline: round(rawS, 3),
      },
    ];
  } finally {
    await bc.close();
  }
}

const bench: Benchmark = async ({ log }) => [
  ...(await measure('pglite', log)),
  ...(await measure('postgres', log)),
];

export default bench;
