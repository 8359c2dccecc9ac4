/**
 * Reservations (issue #17, docs/EV.md "Reservations"): bookings per second and p99 latency at 1
 * and 64 concurrent clients through the central's ReservationEngine (validation, the point
 * check, the insert under the exclusion constraint, the audit row, the status publish on the
 * embedded broker), against a raw `INSERT` into the same constrained table in the same run and
 * database (baseline; goal ≥ 0.5×). Every client books back-to-back 15-minute slots on its own
 * point (64 points), so the figures are of accepted bookings; refusals cost one more query
 * (the next free slots). Both stores: PGlite and PostgreSQL (skipped when unreachable).
 * GRIDLINK_BENCH_RESERVATIONS=N sets the bookings per measurement (default 2,000).
 */
import { sql } from 'kysely';
import type { Benchmark, Figure } from './lib/figure.js';
import { round } from './lib/figure.js';
import { percentile, startBenchCentral } from './lib/history-store.js';

const TOTAL = Number(process.env.GRIDLINK_BENCH_RESERVATIONS ?? 2_000);
const POINTS = 64;
const SLOT_MS = 15 * 60_000;

interface Run {
  perSecond: number;
  p99: number;
}

/** `clients` workers, each taking `TOTAL / clients` bookings one after another. */
async function drive(
  clients: number,
  book: (client: number, n: number) => Promise<void>,
): Promise<Run> {
  const each = Math.ceil(TOTAL / clients);
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let n = 0; n < each; n++) {
        const t = performance.now();
        await book(c, n);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const ms = performance.now() - t0;
  return { perSecond: latencies.length / (ms / 1000), p99: percentile(latencies, 99) };
}

async function measure(store: 'pglite' | 'postgres', log: (l: string) => void): Promise<Figure[]> {
  const bc = await startBenchCentral(store, log);
  if (!bc) return [];
  try {
    const db = bc.central.database.db;
    const engine = bc.central.ev.reservations;
    await sql`INSERT INTO ev_companies (id, name) VALUES ('bench', 'Bench')`.execute(db);
    await sql`INSERT INTO ev_stations (company_id, external_id, name, latitude, longitude)
      VALUES ('bench', 's', 'S', -12.25, -38.95)`.execute(db);
    const { rows } = await sql<{
      id: string | number;
    }>`INSERT INTO ev_points (station_id, external_id, name, state)
      SELECT s.id, 'p' || g, 'P' || g, 'available' FROM ev_stations s, generate_series(1, ${2 * POINTS + 2}) g
      RETURNING id`.execute(db);
    // The engine books on the first 64 points, the raw INSERT on the other 64: same table,
    // same constraint, never the same slot.
    const points = rows.map((r) => Number(r.id));
    // Slots from the next whole hour: one client takes TOTAL back-to-back slots (about 21 days
    // at 2,000), the 64 clients start after those (the 30-day horizon holds both).
    const base = Math.ceil(Date.now() / 3_600_000) * 3_600_000;
    const figures: Figure[] = [];
    // Warm up both paths first (JIT, plan caches, PGlite's WASM): the first hundreds of
    // statements of a fresh process are several times slower whichever path runs them.
    for (let n = 0; n < 300; n++) {
      const start = new Date(base + n * SLOT_MS);
      const end = new Date(start.getTime() + SLOT_MS);
      await engine.book({ pointId: points[2 * POINTS] as number, plate: 'ABC1D23', start, end });
      await sql`INSERT INTO ev_reservations (point_id, period, state, terms, created_at, updated_at)
        VALUES (${points[2 * POINTS + 1] as number}, tstzrange(${start.toISOString()}::timestamptz,
          ${end.toISOString()}::timestamptz, '[)'), 'RESERVED', '{}'::jsonb, now(), now())`.execute(
        db,
      );
    }
    for (const clients of [1, 64]) {
      const from = clients === 1 ? base : base + Math.ceil(TOTAL / 96 + 1) * 86_400_000;
      const slot = (c: number, n: number, offset: number) => {
        const start = from + n * SLOT_MS;
        return { pointId: points[offset + (c % POINTS)] as number, start, end: start + SLOT_MS };
      };
      const viaEngine = await drive(clients, async (c, n) => {
        const s = slot(c, n, 0);
        await engine.book({
          pointId: s.pointId,
          plate: 'ABC1D23',
          start: new Date(s.start),
          end: new Date(s.end),
          source: 'api',
        });
      });
      const raw = await drive(clients, async (c, n) => {
        const s = slot(c, n, POINTS);
        await sql`INSERT INTO ev_reservations (point_id, period, state, terms, created_at, updated_at)
          VALUES (${s.pointId}, tstzrange(${new Date(s.start).toISOString()}::timestamptz,
            ${new Date(s.end).toISOString()}::timestamptz, '[)'), 'RESERVED', '{}'::jsonb, now(), now())`.execute(
          db,
        );
      });
      log(
        `${store} ${clients} client(s): engine ${round(viaEngine.perSecond)}/s p99 ${round(viaEngine.p99, 2)} ms; raw ${round(raw.perSecond)}/s p99 ${round(raw.p99, 2)} ms`,
      );
      figures.push(
        {
          metric: `${store}_bookings_per_s_c${clients}`,
          value: round(viaEngine.perSecond),
          unit: 'bookings/s',
          baseline: round(raw.perSecond),
        },
        {
          metric: `${store}_booking_p99_c${clients}`,
          value: round(viaEngine.p99, 2),
          unit: 'ms',
          baseline: round(raw.p99, 2),
        },
      );
    }
    const overlaps = await sql<{ n: string | number }>`SELECT count(*) AS n FROM ev_reservations a
      JOIN ev_reservations b ON a.point_id = b.point_id AND a.id < b.id AND a.period && b.period
      WHERE a.state IN ('PENDING','RESERVED','FULFILLED') AND b.state IN ('PENDING','RESERVED','FULFILLED')`.execute(
      db,
    );
    if (Number(overlaps.rows[0]?.n) !== 0) throw new Error('overlapping bookings after the bench');
    return figures;
  } finally {
    await bc.close();
  }
}

const bench: Benchmark = async ({ log }) => [
  ...(await measure('pglite', log)),
  ...(await measure('postgres', log)),
];
export default bench;
