import type { EvPointState } from '../../storage/index.js';
import type { PlannerStation, WaitAt } from './planner.js';

/** A busy time of one point, half-open [start, end), epoch ms. */
export interface Busy {
  start: number;
  end: number;
}

/** What the planner knows of one point of a station. */
export interface PointAvailability {
  pointId: number;
  /** Usable at all: active, not in maintenance, not faulted or unavailable. */
  usable: boolean;
  powerKw: number;
  /** Sorted by start. */
  busy: Busy[];
}

export interface NetworkStation extends PlannerStation {
  name: string;
  companyId: string;
  /**
   * A peer's station (docs/FEDERATION.md, "Planning over peers' stations"): the peer's name and
   * its own station id; `id` is then a negative key of this plan only, apart from our ids, and
   * the points' ids are the peer's.
   */
  peer?: string;
  remoteStationId?: number;
  points: PointAvailability[];
}

/** The first usable point with nothing booked in [start, end), else the first usable one. */
export function pointFor(st: NetworkStation, start: number, end: number): number | null {
  let first: number | null = null;
  for (const p of st.points) {
    if (!p.usable) continue;
    first ??= p.pointId;
    if (!p.busy.some((b) => b.start < end && b.end > start)) return p.pointId;
  }
  return first;
}

/** The states after which a point cannot be counted on (seed A: `disponivel` false for good). */
const UNUSABLE: ReadonlySet<EvPointState> = new Set(['faulted', 'unavailable']);
/** The states of a point in use by a car now. */
export const OCCUPIED: ReadonlySet<EvPointState> = new Set(['preparing', 'charging', 'finishing']);

export function pointUsable(p: { active: boolean; maintenance: boolean; state: EvPointState }) {
  return p.active && !p.maintenance && !UNUSABLE.has(p.state);
}

/** When a point is first free at or after `t`: walks its busy times, chaining back-to-back ones. */
export function freeFrom(busy: readonly Busy[], t: number): number {
  let at = t;
  for (const b of busy) {
    if (b.start > at) break;
    if (b.end > at) at = b.end;
  }
  return at;
}

/**
 * The planner's waitAt over a network: the wait for the first point of the station free at
 * arrival (its live occupancy and its bookings), Infinity when none is usable. FIFO: a later
 * arrival is never free earlier.
 */
export function networkWaitAt(stations: ReadonlyMap<number, NetworkStation>): WaitAt {
  return (s, arrival) => {
    const st = stations.get(s.id);
    if (!st) return Infinity;
    let best = Infinity;
    for (const p of st.points) {
      if (!p.usable) continue;
      const w = freeFrom(p.busy, arrival) - arrival;
      if (w < best) best = w;
      if (best === 0) break;
    }
    return best;
  };
}
