/**
 * Federation (issue #21, docs/FEDERATION.md): trip bookings per second and p99 latency across three
 * centrals — company-a plans and books a trip whose three stops are one per company (its own
 * network, company-b's and feira's) with try–confirm/cancel over HTTP — against the same three
 * slots booked one by one directly at each company's API (`POST /api/v1/reservations`, one after
 * the other), in the same run, on the same three processes and databases (baseline). Three real
 * gridlink-central processes from the compiled build (deploy/test/helpers/federation-rig.ts), each
 * on its own PostgreSQL database; the peer proxies pass everything. The plan alone (`book: false`)
 * is measured too, to show how much of a booking is planning.
 * GRIDLINK_BENCH_FEDERATION=N sets the trips per measurement (default 30).
 */
import { postgresReachable } from '@gridlink/central/testing';
import {
  type Company,
  type FederationRig,
  startFederationRig,
} from '../deploy/test/helpers/federation-rig.js';
import type { Benchmark, Figure } from './lib/figure.js';
import { round } from './lib/figure.js';
import { percentile } from './lib/history-store.js';

const TRIPS = Number(process.env.GRIDLINK_BENCH_FEDERATION ?? 30);
const HOUR = 3_600_000;
/** Trips depart this far apart: the longest stop (about 3 h) never overlaps the next trip's. */
const SPACING = 4 * HOUR;
/** The baseline books the trips' slots again this much later (the 30-day horizon holds both). */
const SHIFT = 12 * 24 * HOUR;
const CLIENTS = [1, 4];

/** São Paulo → Feira de Santana with a range that forces one stop per network (as the tests). */
const trip = (departAt: number, book: boolean) => ({
  origin: { lat: -23.56, lon: -46.64 },
  destination: { lat: -12.2, lon: -38.97 },
  batteryKwh: 92.5,
  consumptionKwhPerKm: 0.05,
  socPct: 10,
  minStopSocPct: 5,
  maxChargeSocPct: 80,
  minDestSocPct: 50,
  departAt: new Date(departAt).toISOString(),
  book,
});

interface Slot {
  company: Company;
  pointId: number;
  start: string;
  end: string;
}

interface Run {
  perSecond: number;
  p99: number;
  p50: number;
}

/** `clients` workers taking `jobs` one after another; each job timed. */
async function drive(
  clients: number,
  jobs: number,
  job: (n: number) => Promise<void>,
): Promise<Run> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let n = next++; n < jobs; n = next++) {
        const t = performance.now();
        await job(n);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const ms = performance.now() - t0;
  return {
    perSecond: latencies.length / (ms / 1000),
    p99: percentile(latencies, 99),
    p50: percentile(latencies, 50),
  };
}

async function measure(rig: FederationRig, log: (l: string) => void): Promise<Figure[]> {
  const a = rig.centrals['company-a'];
  const base = Math.ceil(Date.now() / HOUR) * HOUR + HOUR;
  let departures = 0;
  const slots: Slot[][] = [];
  /** One trip booked through the coordinator; its three slots kept for the baseline. */
  const bookTrip = async () => {
    const at = base + departures++ * SPACING;
    const res = await a.api('POST', '/api/v1/trips/plan', trip(at, true));
    if (res.status !== 201 || res.body?.federation?.state !== 'confirmed')
      throw new Error(`trip not booked: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
    const rows = await a.sql<{ peer: string | null; point_id: string; s: Date; e: Date }>(
      `SELECT peer, point_id::text, lower(period) AS s, upper(period) AS e FROM fed_tx_branches
        WHERE tx_id = $1 ORDER BY branch_id::int`,
      [res.body.federation.txId],
    );
    slots.push(
      rows.map((r) => ({
        company: (r.peer ?? 'company-a') as Company,
        pointId: Number(r.point_id),
        start: new Date(new Date(r.s).getTime() + SHIFT).toISOString(),
        end: new Date(new Date(r.e).getTime() + SHIFT).toISOString(),
      })),
    );
  };
  /** The same three slots (shifted), booked one by one at each company's own API. */
  let baselineNext = 0;
  const bookDirect = async () => {
    const stops = slots[baselineNext++] as Slot[];
    for (const s of stops) {
      const res = await rig.centrals[s.company].api('POST', '/api/v1/reservations', {
        pointId: s.pointId,
        start: s.start,
        end: s.end,
        plate: 'BEN1C23',
      });
      if (res.status !== 201)
        throw new Error(`direct booking refused: ${res.status} ${JSON.stringify(res.body)}`);
    }
  };
  const plan = async () => {
    const res = await a.api('POST', '/api/v1/trips/plan', trip(base, false));
    if (res.status !== 201) throw new Error(`plan failed: ${res.status}`);
  };

  // Warm up every path (JIT, statement caches, connections through the proxies).
  for (let i = 0; i < 3; i++) {
    await bookTrip();
    await bookDirect();
    await plan();
  }
  const figures: Figure[] = [];
  for (const clients of CLIENTS) {
    const trips = await drive(clients, TRIPS, bookTrip);
    const direct = await drive(clients, TRIPS, bookDirect);
    log(
      `${clients} client(s): trips ${trips.perSecond.toFixed(2)}/s p50 ${trips.p50.toFixed(0)} ms p99 ${trips.p99.toFixed(0)} ms; three direct bookings ${direct.perSecond.toFixed(2)}/s p50 ${direct.p50.toFixed(0)} ms p99 ${direct.p99.toFixed(0)} ms`,
    );
    figures.push(
      {
        metric: `trip bookings per second, 3 stops at 3 centrals, ${clients} client(s)`,
        value: round(trips.perSecond, 2),
        unit: 'trips/s',
        baseline: round(direct.perSecond, 2),
      },
      {
        metric: `trip booking p99, ${clients} client(s)`,
        value: round(trips.p99),
        unit: 'ms',
        baseline: round(direct.p99),
      },
    );
  }
  const plans = await drive(1, TRIPS, plan);
  log(`plan only (book: false): ${plans.perSecond.toFixed(2)}/s p99 ${plans.p99.toFixed(0)} ms`);
  figures.push({
    metric: 'trip plan without booking p99, 1 client',
    value: round(plans.p99),
    unit: 'ms',
  });
  return figures;
}

const federation: Benchmark = async ({ log }) => {
  if (!(await postgresReachable())) {
    log('PostgreSQL not reachable at 127.0.0.1:5432: federation bench skipped');
    return [];
  }
  log('starting three centrals (compiled build, PostgreSQL)…');
  const rig = await startFederationRig({
    bin: 'compiled',
    prefix: 'gl_bench_fed',
    federation: { catalogSyncSeconds: 5 },
    config: { ev: { trips: { roadFactor: 1 } } },
  });
  try {
    const a = rig.centrals['company-a'];
    // Plan only once the coordinator has both peers' catalogs.
    for (;;) {
      const [row] = await a.sql<{ n: string }>(
        'SELECT count(DISTINCT peer)::text AS n FROM fed_remote_points',
      );
      if (row?.n === '2') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    return await measure(rig, log);
  } finally {
    await rig.close();
  }
};

export default federation;
