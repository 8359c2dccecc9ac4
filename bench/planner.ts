/**
 * The trip planner (issue #18, docs/EV.md "Trip planner"): plan time p50/p99 with 100, 1,000 and
 * 10,000 stations (goal: p99 <= 20 ms at 1,000). Instances come from a seeded generator (SEED):
 * stations uniform over a 600 x 600 km box (Bahia-sized), 22/50/150 kW, a fifth of them busy
 * until a random moment in the next 3 h and 2 % out of service; queries between random points
 * 150-550 km apart, a random seed car at 30-90 %, 10 % minimum at stops and destination, 5 min
 * per stop, 1 % SoC units.
 *
 * Baseline, same queries, same run: a plain Dijkstra over the stations by drive time without
 * charge states (edges up to 80 % of the car's full range): what finding any station path costs,
 * with the planner's station index (the same kept neighbour lists, so the 10,000 size runs).
 */
import {
  carSpecFor,
  greatCircleRoad,
  type PlannerStation,
  planTrip,
  stationIndexFor,
} from '@gridlink/central';
import { seededRandom } from '@gridlink/shared';
import type { Benchmark, Figure } from './lib/figure.js';
import { round } from './lib/figure.js';

const SEED = 20261206;
const ALL_SIZES = [100, 1_000, 10_000];
/** PLANNER_SIZES=1000 (comma-separated) runs only those sizes (profiling). */
const SIZES = process.env.PLANNER_SIZES
  ? process.env.PLANNER_SIZES.split(',').map(Number)
  : ALL_SIZES;
const QUERIES: Record<number, number> = { 100: 300, 1000: 300, 10000: 60 };
const MODELS = [
  'Tesla Model 3',
  'Nissan Leaf',
  'Chevrolet Bolt EV',
  'BYD Dolphin',
  'Peugeot e-208',
];
const BOX_DEG = 5.4; // ~600 km
const HOUR = 3_600_000;
/** The planner's default distances (great circle x 1.3), one provider for both searches. */
const ROAD = greatCircleRoad();

interface Query {
  origin: { lat: number; lon: number };
  destination: { lat: number; lon: number };
  model: string;
  startSocPct: number;
}

function instance(n: number, seed: number) {
  const rnd = seededRandom(seed);
  const at = () => ({ lat: -10 - rnd() * BOX_DEG, lon: -38 - rnd() * BOX_DEG });
  const stations: PlannerStation[] = Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    position: at(),
    maxPowerKw: [22, 50, 50, 150][Math.floor(rnd() * 4)] as number,
  }));
  const busyUntil = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    busyUntil[i] = r < 0.02 ? Infinity : r < 0.22 ? rnd() * 3 * HOUR : 0;
  }
  const road = greatCircleRoad();
  const queries: Query[] = [];
  while (queries.length < (QUERIES[n] ?? 100)) {
    const origin = at();
    const destination = at();
    const km = road.distanceKm(origin, destination);
    if (km < 150 || km > 550) continue;
    queries.push({
      origin,
      destination,
      model: MODELS[Math.floor(rnd() * MODELS.length)] as string,
      startSocPct: 30 + Math.floor(rnd() * 7) * 10,
    });
  }
  return { stations, busyUntil, queries };
}

/** Dijkstra by drive time over stations, edges up to the full range: no charge states. */
function plainDijkstra(
  stations: readonly PlannerStation[],
  q: Query,
  rangeKm: number,
  speedKmh: number,
): number {
  const road = ROAD;
  const index = stationIndexFor(stations, road);
  const n = stations.length;
  const dist = new Float64Array(n + 1).fill(Infinity);
  const done = new Uint8Array(n + 1);
  const pos = (i: number) => (i === n ? q.origin : (stations[i] as PlannerStation).position);
  dist[n] = 0;
  let best = Infinity;
  // A simple binary heap of [time, node].
  const heap: Array<[number, number]> = [[0, n]];
  const push = (e: [number, number]) => {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((heap[p] as [number, number])[0] <= e[0]) break;
      heap[i] = heap[p] as [number, number];
      i = p;
    }
    heap[i] = e;
  };
  const pop = (): [number, number] | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length && last) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= heap.length) break;
        if (
          c + 1 < heap.length &&
          (heap[c + 1] as [number, number])[0] < (heap[c] as [number, number])[0]
        )
          c++;
        if ((heap[c] as [number, number])[0] >= last[0]) break;
        heap[i] = heap[c] as [number, number];
        i = c;
      }
      heap[i] = last;
    }
    return top;
  };
  for (let e = pop(); e; e = pop()) {
    const [t, u] = e;
    if (done[u] || t >= best) continue;
    done[u] = 1;
    const p = pos(u);
    const toDest = road.distanceKm(p, q.destination);
    if (toDest <= rangeKm) best = Math.min(best, t + (toDest / speedKmh) * HOUR);
    const nb = u === n ? index.aroundPoint(q.origin, rangeKm) : index.around(u, rangeKm);
    for (let j = 0; j < nb.size; j++) {
      const v = nb.to[j] as number;
      if (done[v]) continue;
      const km = nb.km[j] as number;
      if (km > rangeKm) continue;
      const tv = t + (km / speedKmh) * HOUR;
      if (tv < (dist[v] as number)) {
        dist[v] = tv;
        push([tv, v]);
      }
    }
  }
  return best;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
};

const bench: Benchmark = async ({ log }) => {
  const figures: Figure[] = [];
  for (const n of SIZES) {
    const { stations, busyUntil, queries } = instance(n, SEED + n);
    const index = new Map(stations.map((s, i) => [s.id, i]));
    const departAt = Date.parse('2026-12-07T08:00:00Z');
    const waitAt = (s: PlannerStation, t: number) => {
      const until = busyUntil[index.get(s.id) as number] as number;
      return until === Infinity ? Infinity : Math.max(0, departAt + until - t);
    };
    const run = (q: Query) => {
      const car = carSpecFor({ model: q.model });
      if (!car) throw new Error(`no model ${q.model}`);
      return planTrip({
        origin: q.origin,
        destination: q.destination,
        departAt,
        car,
        startSocPct: q.startSocPct,
        minStopSocPct: 10,
        minDestSocPct: 10,
        stopOverheadMs: 5 * 60_000,
        stations,
        waitAt,
      });
    };
    // Warm up the JIT on a few queries.
    for (const q of queries.slice(0, 10)) run(q);
    const times: number[] = [];
    const base: number[] = [];
    let feasible = 0;
    let stops = 0;
    for (const q of queries) {
      const t0 = process.hrtime.bigint();
      const r = run(q);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.ok) {
        feasible++;
        stops += r.plan.stops.length;
      }
      const car = carSpecFor({ model: q.model });
      if (!car) continue;
      const t1 = process.hrtime.bigint();
      plainDijkstra(stations, q, (car.batteryKwh * 0.8) / car.consumptionKwhPerKm, car.speedKmh);
      base.push(Number(process.hrtime.bigint() - t1) / 1e6);
    }
    log(
      `${n} stations, ${queries.length} queries (seed ${SEED + n}): ${feasible} feasible, ${round(stops / Math.max(1, feasible), 2)} stops each; plan p50 ${round(pct(times, 50), 2)} ms p99 ${round(pct(times, 99), 2)} ms; plain Dijkstra p50 ${round(pct(base, 50), 2)} ms p99 ${round(pct(base, 99), 2)} ms`,
    );
    figures.push(
      {
        metric: `plan_p50_ms_${n}`,
        value: round(pct(times, 50), 2),
        unit: 'ms',
        baseline: round(pct(base, 50), 2),
      },
      {
        metric: `plan_p99_ms_${n}`,
        value: round(pct(times, 99), 2),
        unit: 'ms',
        baseline: round(pct(base, 99), 2),
      },
    );
  }
  return figures;
};

export default bench;
