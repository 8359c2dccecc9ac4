import type { CarSpec } from './car-spec.js';
import { unitChargeMs } from './charge-time.js';
import { type DistanceProvider, greatCircleRoad, type LatLon } from './geo.js';
import { StateHeap } from './heap.js';
import { type Neighbours, stationIndexFor } from './planner-index.js';

/** A charging station as the planner sees it. */
export interface PlannerStation {
  id: number;
  position: LatLon;
  /** The most any of its points delivers, kW (caps the car's curve). */
  maxPowerKw: number;
}

/**
 * How long a car arriving at `station` at `arrivalMs` waits for a free point, ms; Infinity when
 * none will be usable. Must be FIFO (arriving later never lets you start earlier:
 * `t + waitAt(s, t)` does not decrease in `t`), which "wait until the next free moment" is.
 */
export type WaitAt = (station: PlannerStation, arrivalMs: number) => number;

export interface TripQuery {
  origin: LatLon;
  destination: LatLon;
  /** Departure, epoch ms. */
  departAt: number;
  car: CarSpec;
  startSocPct: number;
  /** The least charge the car may arrive with at a charging stop. */
  minStopSocPct: number;
  /** The least charge the car may arrive with at the destination. */
  minDestSocPct: number;
  /** The most the planner charges to at a stop; default 100. */
  maxChargeSocPct?: number;
  /** Time lost at each stop (detour, parking, plugging in, paying), ms. */
  stopOverheadMs: number;
  stations: readonly PlannerStation[];
  /** Availability at arrival; default: always free. */
  waitAt?: WaitAt;
  /** Default: great-circle x 1.3. */
  distance?: DistanceProvider;
  /** The SoC discretization, % of the battery per unit; must divide 100. Default 1. */
  socStepPct?: number;
}

export interface PlannedStop {
  station: PlannerStation;
  /** Road distance from the previous stop (or the origin), km. */
  distanceKm: number;
  driveMs: number;
  arriveAt: number;
  arrivalSocPct: number;
  waitMs: number;
  overheadMs: number;
  /** When charging starts (arrival + wait + overhead). */
  chargeFrom: number;
  chargeMs: number;
  departAt: number;
  departureSocPct: number;
  energyKwh: number;
}

export interface TripPlan {
  stops: PlannedStop[];
  /** The last leg, to the destination. */
  finalLeg: { distanceKm: number; driveMs: number };
  departAt: number;
  arriveAt: number;
  arrivalSocPct: number;
  /** arriveAt - departAt = drive + wait + overhead + charge. */
  totalMs: number;
  driveMs: number;
  waitMs: number;
  overheadMs: number;
  chargeMs: number;
  distanceKm: number;
  /** Search effort (for the bench). */
  stats: { popped: number; relaxed: number; stationsExpanded: number };
}

/** Why a trip cannot be made; the service maps these to the error catalog. */
export type TripInfeasibleCode =
  | 'GL_EV_TRIP_NO_STATION_IN_RANGE'
  | 'GL_EV_TRIP_DESTINATION_UNREACHABLE'
  | 'GL_EV_TRIP_CAR_TOO_SMALL';

export type TripPlanResult =
  | { ok: true; plan: TripPlan }
  | {
      ok: false;
      code: TripInfeasibleCode;
      message: string;
      details: Record<string, number | string | null>;
    };

const EPS = 1e-9;
const DEFAULT_DISTANCE = greatCircleRoad();
/** Detour bands of the partial expansion: a minute wide, the last one open-ended. */
const BAND_MS = 60_000;
const BANDS = 128;

/**
 * A node's neighbours for one query, ordered by detour band (entries start[b]..start[b+1]):
 * the station, the leg's units and drive ms.
 */
interface Fan {
  to: Int32Array;
  units: Int32Array;
  ms: Float64Array;
  start: Int32Array;
  direct: number;
}
const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The trip planner (docs/EV.md, "Trip planner"): the fastest way from origin to destination with
 * charging stops, total time = drive + wait + overhead + charge, over a discretized state of
 * charge. A* over states (node, SoC unit) whose label is the earliest time the car can leave that
 * node with that charge:
 *  - drive edges (x, k) -> (y, k - units(x,y)) if the car arrives with >= min stop SoC, costing
 *    the drive, the wait at arrival (waitAt) and the stop overhead;
 *  - charge edges (x, k) -> (x, k+1) at a station, costing the unit's charge time;
 *  - a destination edge when k - units(x, dest) >= min destination SoC.
 * Exact over the discretization: waits are FIFO, so the earliest time is the best label for a
 * state (Dijkstra on time-dependent FIFO graphs); a state (x, k, t) is skipped when a popped
 * (x, k', t') has k' >= k and t' <= t (it can do all the first can, no later: charge edges reach
 * every higher SoC, and more charge never hurts); the A* bound h(x, k) = exact drive time to the
 * destination + (charge units still missing) x (fastest unit time anywhere) is consistent
 * (triangle inequality of the distances, ceil-rounded units and drive ms are superadditive).
 * Legs consume ceil(energy / unit) units and start SoC is floored: the plan never counts on
 * charge the car may not have.
 */
export function planTrip(q: TripQuery): TripPlanResult {
  const step = q.socStepPct ?? 1;
  const B = Math.round(100 / step);
  if (!(step > 0) || Math.abs(B * step - 100) > 1e-6)
    throw new RangeError(`socStepPct must divide 100, got ${step}`);
  const { car } = q;
  const unitKwh = (car.batteryKwh * step) / 100;
  const down = (pct: number) => Math.floor(pct / step + EPS);
  const up = (pct: number) => Math.ceil(pct / step - EPS);
  const s0 = down(q.startSocPct);
  const minStop = up(q.minStopSocPct);
  const minDest = up(q.minDestSocPct);
  const maxCharge = down(q.maxChargeSocPct ?? 100);
  const overhead = Math.round(q.stopOverheadMs);
  const dist = q.distance ?? DEFAULT_DISTANCE;
  const waitAt: WaitAt = q.waitAt ?? (() => 0);
  const msPerKm = 3_600_000 / car.speedKmh;
  const legUnits = (km: number) => Math.ceil((km * car.consumptionKwhPerKm) / unitKwh - EPS);
  const legMs = (km: number) => Math.ceil(km * msPerKm);

  const stations = q.stations;
  const N = stations.length;
  const ORIGIN = N;
  const W = B + 1;
  const DEST = (N + 1) * W;
  /** Heap ids above DEST: CONT + state, the rest of that state's drive edges. */
  const CONT = DEST + 1;
  const pos = (n: number): LatLon =>
    n === ORIGIN ? q.origin : (stations[n] as PlannerStation).position;

  // Per node, lazily: distance to the destination (km), its units and drive ms, the exact drive
  // ms (the A* bound).
  const destKm = new Float64Array(N + 1).fill(-1);
  const destUnitsOf = new Int32Array(N + 1);
  const destMsOf = new Float64Array(N + 1);
  const hDriveOf = new Float64Array(N + 1);
  const toDest = (n: number) => {
    if ((destKm[n] as number) >= 0) return;
    const km = dist.distanceKm(pos(n), q.destination);
    destKm[n] = km;
    destUnitsOf[n] = legUnits(km);
    destMsOf[n] = legMs(km);
    hDriveOf[n] = km * msPerKm;
  };
  // Where the car can go from a node keeping the minimum stop charge: the station index's
  // neighbours (measured once per station set, kept across plans) within the reach of a full
  // charge (from the origin: of the start charge); the loop below stops at the first band out of
  // the state's own reach.
  const index = stationIndexFor(stations, dist);
  const kmPerUnit = unitKwh / car.consumptionKwhPerKm;
  const reachKm = (units: number) => (units + 1) * kmPerUnit;
  let originNb: Neighbours | null = null;
  const stationReachKm = reachKm(maxCharge - minStop);
  const neighbours = (n: number): Neighbours => {
    if (n !== ORIGIN) return index.around(n, stationReachKm);
    originNb ??= index.aroundPoint(q.origin, reachKm(s0 - minStop));
    return originNb;
  };
  // Labels, flat over (node, unit): time, parent state, and popBest[k] = the earliest time of a
  // popped state of the node with SoC >= k.
  const ws = workspace(N + 1, W);
  const { time, parentOf, popBest, resume } = ws;
  const touch = (n: number) => {
    if (ws.touched[n] === 0) {
      ws.touched[n] = 1;
      ws.rows.push(n);
    }
  };
  // Per station power: the unit charge times and their prefix sums (charge from a to b costs
  // sums[b] - sums[a]).
  const chargeTables = new Map<number, { table: Int32Array; sums: Float64Array }>();
  const chargeOf: Array<{ table: Int32Array; sums: Float64Array } | undefined> = new Array(N);
  const charging = (n: number) => {
    const have = chargeOf[n];
    if (have) return have;
    const kw = (stations[n] as PlannerStation).maxPowerKw;
    let c = chargeTables.get(kw);
    if (!c) {
      const table = unitChargeMs(car.curve, kw, unitKwh, step, B);
      const sums = new Float64Array(B + 1);
      for (let u = 0; u < B; u++) sums[u + 1] = (sums[u] as number) + (table[u] as number);
      c = { table, sums };
      chargeTables.set(kw, c);
    }
    chargeOf[n] = c;
    return c;
  };
  const chargeTable = (n: number): Int32Array => charging(n).table;
  let maxStationKw = 0;
  for (const s of stations) maxStationKw = Math.max(maxStationKw, s.maxPowerKw);
  const minUnitMs =
    N === 0 ? 0 : Math.floor((unitKwh / Math.min(car.curve.peakKw, maxStationKw)) * 3_600_000);
  // The most one further stop adds (arrive with the minimum, leave with the most).
  const perStop = maxCharge - minStop;
  const h = (n: number, k: number): number => {
    toDest(n);
    const need = (destUnitsOf[n] as number) + minDest;
    const drive = hDriveOf[n] as number;
    const missing = need - k;
    if (missing <= 0) return drive;
    // Units no charge here can give (none at the origin) need further stops.
    const beyond = n === ORIGIN ? missing : need - Math.max(k, maxCharge);
    if (beyond > 0) {
      if (perStop <= 0) return Infinity;
      return drive + missing * minUnitMs + Math.ceil(beyond / perStop) * overhead;
    }
    // All of it can be charged here: at this station's rates, or at the fastest after a stop.
    const sums = charging(n).sums;
    const here = (sums[k + missing] as number) - (sums[k] as number);
    return drive + Math.min(here, overhead + missing * minUnitMs);
  };

  const heap = new StateHeap();
  let destTime = Infinity;
  let destParent = -1;
  let popped = 0;
  let relaxed = 0;
  let expanded = 0;

  const relax = (y: number, a: number, t: number, parent: number) => {
    relaxed++;
    const i = y * W + a;
    if ((popBest[i] as number) <= t || t >= (time[i] as number)) return;
    const f = t + h(y, a);
    if (f >= destTime) return;
    time[i] = t;
    parentOf[i] = parent;
    touch(y);
    heap.push(f, i, t);
  };

  // Partial expansion: a node's neighbours in bands of detour (drive via the neighbour to the
  // destination, less the direct drive), BAND_MS wide. A state relaxes the bands whose bound
  // (t + overhead + direct drive + band start) is within its key, and goes back on the heap keyed
  // at the next band's bound; every neighbour's f is at least its band's bound, so A* still sees
  // each edge before any state past it, and the bands past the optimum are never relaxed.
  const fans: Array<Fan | undefined> = new Array(N + 1);
  const fan = (n: number): Fan => {
    const have = fans[n];
    if (have) return have;
    const nb = neighbours(n);
    toDest(n);
    const direct = hDriveOf[n] as number;
    const band = new Uint8Array(nb.size);
    const start = new Int32Array(BANDS + 1);
    for (let j = 0; j < nb.size; j++) {
      const y = nb.to[j] as number;
      toDest(y);
      const detour = (nb.km[j] as number) * msPerKm + (hDriveOf[y] as number) - direct;
      const b = detour <= 0 ? 0 : Math.min(BANDS - 1, Math.floor(detour / BAND_MS));
      band[j] = b;
      (start[b + 1] as number)++;
    }
    for (let b = 1; b <= BANDS; b++) start[b] = (start[b] as number) + (start[b - 1] as number);
    const fill = start.slice(0, BANDS);
    const to = new Int32Array(nb.size);
    const units = new Int32Array(nb.size);
    const ms = new Float64Array(nb.size);
    for (let j = 0; j < nb.size; j++) {
      const b = band[j] as number;
      const at = fill[b] as number;
      fill[b] = at + 1;
      const km = nb.km[j] as number;
      to[at] = nb.to[j] as number;
      units[at] = legUnits(km);
      ms[at] = legMs(km);
    }
    const f: Fan = { to, units, ms, start, direct };
    fans[n] = f;
    return f;
  };
  const drive = (id: number, node: number, k: number, t: number, from: number, key: number) => {
    const { to, units, ms, start, direct } = fan(node);
    const most = k - minStop;
    // Every neighbour still misses at least this state's missing units, and needs all the
    // further stops but this one: its bound h has at least those, on top of the drive.
    const need = (destUnitsOf[node] as number) + minDest;
    const missing = Math.max(0, need - k);
    const beyond = node === ORIGIN ? missing : need - Math.max(k, maxCharge);
    const stopsAfter = perStop > 0 && beyond > 0 ? Math.ceil(beyond / perStop) - 1 : 0;
    // 1 ms under the bound: rounding in the real-valued drive times never orders an edge late.
    const base = t + overhead + direct + missing * minUnitMs + stopsAfter * overhead - 1;
    let b = from;
    for (; b < BANDS; b++) {
      if (base + b * BAND_MS > key) break;
      const end = start[b + 1] as number;
      for (let e = start[b] as number; e < end; e++) {
        const u = units[e] as number;
        if (u > most) continue;
        const y = to[e] as number;
        const a = k - u;
        const i = y * W + a;
        const arrival = t + (ms[e] as number);
        relaxed++;
        // Cheap rejections before asking for the wait: the wait only adds.
        if (
          (popBest[i] as number) <= arrival + overhead ||
          arrival + overhead >= (time[i] as number)
        )
          continue;
        const w = waitAt(stations[y] as PlannerStation, arrival);
        if (!(w >= 0) || w === Infinity) continue;
        const ty = arrival + Math.round(w) + overhead;
        if ((popBest[i] as number) <= ty || ty >= (time[i] as number)) continue;
        const f = ty + h(y, a);
        if (f >= destTime) continue;
        time[i] = ty;
        parentOf[i] = id;
        touch(y);
        heap.push(f, i, ty);
      }
    }
    // Skip empty bands; come back for the next non-empty one if it can still beat the best.
    while (b < BANDS && start[b] === start[b + 1]) b++;
    if (b < BANDS && base + b * BAND_MS < destTime) {
      resume[id] = b;
      heap.push(base + b * BAND_MS, CONT + id, t);
    }
  };

  if (s0 >= 0 && s0 <= B) {
    time[ORIGIN * W + s0] = q.departAt;
    touch(ORIGIN);
    heap.push(q.departAt + h(ORIGIN, s0), ORIGIN * W + s0, q.departAt);
  }
  while (heap.pop()) {
    const id = heap.topId;
    if (id === DEST) break;
    const t = heap.topTime;
    if (id > DEST) {
      // The rest of a state's drive edges, from the band it stopped at.
      const at = id - CONT;
      if (t !== time[at] || (popBest[at] as number) < t) continue; // improved or dominated since
      const node = Math.floor(at / W);
      drive(at, node, at - node * W, t, resume[at] as number, heap.topKey);
      continue;
    }
    if (t !== time[id]) continue; // stale entry
    if ((popBest[id] as number) <= t) continue; // dominated by a popped state with more charge
    const node = Math.floor(id / W);
    const k = id - node * W;
    const row = node * W;
    popped++;
    if (popBest[row] === Infinity) expanded++;
    for (let j = id; j >= row && (popBest[j] as number) > t; j--) popBest[j] = t;
    // To the destination.
    toDest(node);
    if (k - (destUnitsOf[node] as number) >= minDest) {
      const td = t + (destMsOf[node] as number);
      if (td < destTime) {
        destTime = td;
        destParent = id;
        heap.push(td, DEST, td);
      }
    }
    // Charge one more unit here.
    if (node !== ORIGIN && k < maxCharge)
      relax(node, k + 1, t + (chargeTable(node)[k] as number), id);
    // Drive to another station and stop there: the nearest-detour bands now, the rest later.
    if (k - minStop >= 0) drive(id, node, k, t, 0, heap.topKey);
  }

  if (destParent < 0)
    return explainInfeasible(q, { s0, minStop, minDest, maxCharge, unitKwh, dist, popBest, W, N });

  // Rebuild: the states from the origin to the last one before the destination.
  const path: number[] = [];
  for (let id = destParent; id >= 0; ) {
    path.push(id);
    id = parentOf[id] as number;
  }
  path.reverse();
  const stops: PlannedStop[] = [];
  let prevNode = ORIGIN;
  let prevTime = q.departAt;
  let i = 1;
  while (i < path.length) {
    const id = path[i] as number;
    const node = Math.floor(id / W);
    const a = id - node * W;
    let last = i;
    while (last + 1 < path.length && Math.floor((path[last + 1] as number) / W) === node) last++;
    const b = (path[last] as number) - node * W;
    const station = stations[node] as PlannerStation;
    const km = dist.distanceKm(pos(prevNode), station.position);
    const driveMs = legMs(km);
    const arriveAt = prevTime + driveMs;
    const chargeFrom = time[node * W + a] as number;
    const departAt = time[node * W + b] as number;
    stops.push({
      station,
      distanceKm: round2(km),
      driveMs,
      arriveAt,
      arrivalSocPct: a * step,
      waitMs: chargeFrom - overhead - arriveAt,
      overheadMs: overhead,
      chargeFrom,
      chargeMs: departAt - chargeFrom,
      departAt,
      departureSocPct: b * step,
      energyKwh: round2((b - a) * unitKwh),
    });
    prevNode = node;
    prevTime = departAt;
    i = last + 1;
  }
  const lastNode = Math.floor(destParent / W);
  const lastK = destParent - lastNode * W;
  toDest(lastNode);
  const finalLeg = {
    distanceKm: round2(destKm[lastNode] as number),
    driveMs: destMsOf[lastNode] as number,
  };
  const sum = (f: (s: PlannedStop) => number) => stops.reduce((acc, s) => acc + f(s), 0);
  return {
    ok: true,
    plan: {
      stops,
      finalLeg,
      departAt: q.departAt,
      arriveAt: destTime,
      arrivalSocPct: (lastK - (destUnitsOf[lastNode] as number)) * step,
      totalMs: destTime - q.departAt,
      driveMs: sum((s) => s.driveMs) + finalLeg.driveMs,
      waitMs: sum((s) => s.waitMs),
      overheadMs: sum((s) => s.overheadMs),
      chargeMs: sum((s) => s.chargeMs),
      distanceKm: round2(sum((s) => s.distanceKm) + finalLeg.distanceKm),
      stats: { popped, relaxed, stationsExpanded: expanded },
    },
  };
}

/**
 * The label arrays, kept between calls (planTrip is synchronous, so one workspace serves every
 * call): allocating and filling (stations x units) arrays per plan cost more than the search on
 * large networks (GC). Only the rows a plan touched are reset, at the start of the next one.
 */
interface Workspace {
  time: Float64Array;
  parentOf: Int32Array;
  popBest: Float64Array;
  /** Per state, the detour band its drive edges resume at (written before each use). */
  resume: Uint8Array;
  touched: Uint8Array;
  rows: number[];
  width: number;
}
let shared: Workspace | null = null;

function workspace(nodes: number, width: number): Workspace {
  const size = nodes * width;
  if (shared && shared.time.length >= size && shared.touched.length >= nodes) {
    const w = shared;
    for (const n of w.rows) {
      const from = n * w.width;
      w.time.fill(Infinity, from, from + w.width);
      w.popBest.fill(Infinity, from, from + w.width);
      w.parentOf.fill(-1, from, from + w.width);
      w.touched[n] = 0;
    }
    w.rows.length = 0;
    w.width = width;
    return w;
  }
  const cap = Math.max(size, shared?.time.length ?? 0);
  shared = {
    time: new Float64Array(cap).fill(Infinity),
    parentOf: new Int32Array(cap).fill(-1),
    popBest: new Float64Array(cap).fill(Infinity),
    resume: new Uint8Array(cap),
    touched: new Uint8Array(Math.max(nodes, shared?.touched.length ?? 0)),
    rows: [],
    width,
  };
  return shared;
}

interface SearchFacts {
  s0: number;
  minStop: number;
  minDest: number;
  maxCharge: number;
  unitKwh: number;
  dist: DistanceProvider;
  popBest: Float64Array;
  W: number;
  N: number;
}

/**
 * Why no plan: from the origin nothing is reachable; or the stations that are reachable leave a
 * gap no full battery crosses (the car is too small for this network); or one the car could
 * cross with full charge but not keeping the minimum stop charge; or every station is reachable
 * and the destination lies beyond a full charge (keeping the destination minimum) from each.
 */
function explainInfeasible(q: TripQuery, f: SearchFacts): TripPlanResult {
  const { car } = q;
  const km = (units: number) => round2((units * f.unitKwh) / car.consumptionKwhPerKm);
  const kmRound = (n: number) => round2(n);
  const reached: number[] = [];
  for (let n = 0; n < f.N; n++) if (f.popBest[n * f.W] !== Infinity) reached.push(n);
  const destinationKm = f.dist.distanceKm(q.origin, q.destination);
  const fullRangeKm = round2(car.batteryKwh / car.consumptionKwhPerKm);
  if (reached.length === 0) {
    let nearest = Infinity;
    for (const s of q.stations)
      nearest = Math.min(nearest, f.dist.distanceKm(q.origin, s.position));
    const reachKm = km(Math.max(0, f.s0 - f.minStop));
    const inReachUnavailable = q.stations.filter(
      (s) => f.dist.distanceKm(q.origin, s.position) <= reachKm,
    ).length;
    return {
      ok: false,
      code: 'GL_EV_TRIP_NO_STATION_IN_RANGE',
      message:
        f.N === 0
          ? `no charging station to stop at, and the destination (${kmRound(destinationKm)} km) is beyond the car's reach at ${q.startSocPct} % arriving with ${q.minDestSocPct} %`
          : inReachUnavailable > 0
            ? `no station reachable from the origin: the ${inReachUnavailable} station(s) within ${reachKm} km (${q.startSocPct} % down to ${q.minStopSocPct} %) have no charging point available, and the destination (${kmRound(destinationKm)} km) needs ${q.minDestSocPct} % left on arrival`
            : `no station reachable from the origin: ${q.startSocPct} % reaches ${reachKm} km arriving with ${q.minStopSocPct} %, the nearest station is ${kmRound(nearest)} km away and the destination ${kmRound(destinationKm)} km`,
      details: {
        from: 'origin',
        reachKm,
        nearestStationKm: Number.isFinite(nearest) ? kmRound(nearest) : null,
        destinationKm: kmRound(destinationKm),
        unavailableInReach: inReachUnavailable,
      },
    };
  }
  const reachedSet = new Set(reached);
  // The shortest hop out of the reached set: to an unreached station, or to the destination.
  let gapKm = Infinity;
  let gapFrom = -1;
  let gapTo: number | 'destination' = 'destination';
  let destGapKm = Infinity;
  let destGapFrom = -1;
  for (const r of reached) {
    const p = (q.stations[r] as PlannerStation).position;
    const d = f.dist.distanceKm(p, q.destination);
    if (d < destGapKm) {
      destGapKm = d;
      destGapFrom = r;
    }
    for (let u = 0; u < f.N; u++) {
      if (reachedSet.has(u)) continue;
      const du = f.dist.distanceKm(p, (q.stations[u] as PlannerStation).position);
      if (du < gapKm) {
        gapKm = du;
        gapFrom = r;
        gapTo = u;
      }
    }
  }
  const idOf = (n: number) => (q.stations[n] as PlannerStation).id;
  const stopReachKm = km(f.maxCharge - f.minStop);
  const destReachKm = km(f.maxCharge - f.minDest);
  const hop = Math.min(gapKm, destGapKm);
  if (hop > fullRangeKm) {
    const toDest = destGapKm <= gapKm;
    return {
      ok: false,
      code: 'GL_EV_TRIP_CAR_TOO_SMALL',
      message: `the car's full range is ${fullRangeKm} km (${car.batteryKwh} kWh at ${car.consumptionKwhPerKm} kWh/km) and the shortest way on from the stations it can reach is ${kmRound(hop)} km (station ${idOf(toDest ? destGapFrom : gapFrom)} to ${toDest ? 'the destination' : `station ${idOf(gapTo as number)}`})`,
      details: {
        fullRangeKm,
        gapKm: kmRound(hop),
        fromStationId: idOf(toDest ? destGapFrom : gapFrom),
        toStationId: toDest ? null : idOf(gapTo as number),
      },
    };
  }
  if (Number.isFinite(gapKm) && gapKm <= destGapKm) {
    const unavailable = gapKm <= stopReachKm;
    return {
      ok: false,
      code: 'GL_EV_TRIP_NO_STATION_IN_RANGE',
      message: unavailable
        ? `no station reachable from station ${idOf(gapFrom)}: those within ${stopReachKm} km have no charging point available, and the destination is ${kmRound(destGapKm)} km from the closest reachable station`
        : `no station reachable from station ${idOf(gapFrom)}: the nearest one not yet reachable is ${kmRound(gapKm)} km away, beyond a full charge's ${stopReachKm} km arriving with ${q.minStopSocPct} %; the destination is ${kmRound(destGapKm)} km from the closest reachable station, beyond ${destReachKm} km arriving with ${q.minDestSocPct} %`,
      details: {
        from: idOf(gapFrom),
        nextStationId: idOf(gapTo as number),
        gapKm: kmRound(gapKm),
        reachKm: stopReachKm,
        destinationKm: kmRound(destGapKm),
      },
    };
  }
  return {
    ok: false,
    code: 'GL_EV_TRIP_DESTINATION_UNREACHABLE',
    message: `the destination is ${kmRound(destGapKm)} km from the closest reachable station (${idOf(destGapFrom)}); a full charge there reaches ${destReachKm} km arriving with ${q.minDestSocPct} %`,
    details: {
      closestStationId: idOf(destGapFrom),
      distanceKm: kmRound(destGapKm),
      reachKm: destReachKm,
      minDestSocPct: q.minDestSocPct,
    },
  };
}
