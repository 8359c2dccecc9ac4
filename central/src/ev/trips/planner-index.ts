import { type DistanceProvider, EARTH_RADIUS_KM, type LatLon } from './geo.js';

/**
 * The stations around a station or a point, nearest first by whole km (entries of one 1-km band
 * in any order): `km[j]` is the provider's exact distance from the centre to `to[j]`. Every
 * station within `radiusKm` is listed; some a little further may be.
 */
export interface Neighbours {
  to: Int32Array;
  km: Float64Array;
  size: number;
  radiusKm: number;
}

const RAD = Math.PI / 180;
/** Stations' neighbour entries kept across plans, all indexes together (12 bytes each). */
const MAX_CACHED_ENTRIES = 8_000_000;
let cachedEntries = 0;

/**
 * The planner's spatial index over one station set and one distance provider (docs/EV.md, "Trip
 * planner"): each station's neighbours within the car's reach, measured once and kept (the
 * distances do not depend on the car, the charge or the time), found without measuring the pairs
 * out of reach: stations are points on the unit sphere, and a chord longer than the reach's
 * (divided by the provider's great-circle factor) rules a pair out with five multiplications
 * instead of a haversine. Lists grow when a query needs a longer reach; past
 * `MAX_CACHED_ENTRIES` the oldest lists are dropped and measured again when needed.
 */
export class StationIndex {
  readonly size: number;
  readonly distance: DistanceProvider;
  readonly #positions: LatLon[];
  readonly #lat: Float64Array;
  readonly #lon: Float64Array;
  readonly #xyz: Float64Array;
  readonly #lists: Array<Neighbours | undefined>;
  readonly #built: number[] = [];
  #entries = 0;

  constructor(positions: readonly LatLon[], distance: DistanceProvider) {
    const n = positions.length;
    this.size = n;
    this.distance = distance;
    this.#positions = positions.map((p) => ({ lat: p.lat, lon: p.lon }));
    this.#lat = new Float64Array(n);
    this.#lon = new Float64Array(n);
    this.#xyz = new Float64Array(3 * n);
    for (let i = 0; i < n; i++) {
      const { lat, lon } = positions[i] as LatLon;
      this.#lat[i] = lat;
      this.#lon[i] = lon;
      const c = Math.cos(lat * RAD);
      this.#xyz[3 * i] = c * Math.cos(lon * RAD);
      this.#xyz[3 * i + 1] = c * Math.sin(lon * RAD);
      this.#xyz[3 * i + 2] = Math.sin(lat * RAD);
    }
    this.#lists = new Array(n);
  }

  /** Whether the index was built over these positions (same order) and this provider. */
  matches(positions: readonly { position: LatLon }[], distance: DistanceProvider): boolean {
    if (positions.length !== this.size) return false;
    if (
      distance !== this.distance &&
      (distance.id === undefined || distance.id !== this.distance.id)
    )
      return false;
    for (let i = 0; i < this.size; i++) {
      const p = (positions[i] as { position: LatLon }).position;
      if (p.lat !== this.#lat[i] || p.lon !== this.#lon[i]) return false;
    }
    return true;
  }

  /** Station i's neighbours within radiusKm (itself excluded), kept for the next calls. */
  around(i: number, radiusKm: number): Neighbours {
    const have = this.#lists[i];
    if (have && have.radiusKm >= radiusKm) return have;
    if (have) this.#drop(have);
    const x = this.#xyz;
    const list = this.#collect(
      this.#positions[i] as LatLon,
      x[3 * i] as number,
      x[3 * i + 1] as number,
      x[3 * i + 2] as number,
      radiusKm,
      i,
    );
    this.#lists[i] = list;
    this.#built.push(i);
    cachedEntries += list.to.length;
    this.#entries += list.to.length;
    while (cachedEntries > MAX_CACHED_ENTRIES && this.#built.length > 1) {
      const old = this.#built.shift() as number;
      const l = this.#lists[old];
      if (!l || old === i) continue;
      this.#drop(l);
      this.#lists[old] = undefined;
    }
    return list;
  }

  #drop(list: Neighbours): void {
    cachedEntries -= list.to.length;
    this.#entries -= list.to.length;
  }

  /** Forgets every kept list (the index is no longer used). */
  release(): void {
    cachedEntries -= this.#entries;
    this.#entries = 0;
    this.#lists.fill(undefined);
    this.#built.length = 0;
  }

  /** The stations within radiusKm of a point (not kept). */
  aroundPoint(p: LatLon, radiusKm: number): Neighbours {
    const c = Math.cos(p.lat * RAD);
    return this.#collect(
      p,
      c * Math.cos(p.lon * RAD),
      c * Math.sin(p.lon * RAD),
      Math.sin(p.lat * RAD),
      radiusKm,
      -1,
    );
  }

  #collect(
    from: LatLon,
    cx: number,
    cy: number,
    cz: number,
    radiusKm: number,
    skip: number,
  ): Neighbours {
    const n = this.size;
    const factor = this.distance.greatCircleFactor;
    // The chord of the great circle that, times the factor, is the reach; a hair of slack so
    // rounding in the chord never drops a station the exact distance keeps.
    let chord2 = Infinity;
    if (factor !== undefined && factor > 0) {
      const angle = radiusKm / factor / EARTH_RADIUS_KM;
      if (angle < Math.PI) {
        const chord = 2 * Math.sin(angle / 2);
        chord2 = chord * chord * (1 + 1e-9) + 1e-12;
      }
    }
    const x = this.#xyz;
    const cand = new Int32Array(n);
    const candKm = new Float64Array(n);
    let m = 0;
    for (let j = 0; j < n; j++) {
      if (j === skip) continue;
      const dx = (x[3 * j] as number) - cx;
      const dy = (x[3 * j + 1] as number) - cy;
      const dz = (x[3 * j + 2] as number) - cz;
      if (dx * dx + dy * dy + dz * dz > chord2) continue;
      const km = this.distance.distanceKm(from, this.#positions[j] as LatLon);
      if (!(km <= radiusKm)) continue;
      cand[m] = j;
      candKm[m] = km;
      m++;
    }
    // Counting sort by whole km: enough order for the planner, which stops a scan one band after
    // the first station out of reach.
    let far = 0;
    for (let e = 0; e < m; e++) far = Math.max(far, candKm[e] as number);
    const bands = Math.floor(far) + 2;
    const count = new Int32Array(bands + 1);
    for (let e = 0; e < m; e++) (count[Math.floor(candKm[e] as number) + 1] as number)++;
    for (let b = 1; b <= bands; b++) count[b] = (count[b] as number) + (count[b - 1] as number);
    const to = new Int32Array(m);
    const km = new Float64Array(m);
    for (let e = 0; e < m; e++) {
      const b = Math.floor(candKm[e] as number);
      const at = count[b] as number;
      count[b] = at + 1;
      to[at] = cand[e] as number;
      km[at] = candKm[e] as number;
    }
    return { to, km, size: m, radiusKm };
  }
}

/** The last few indexes, found again by positions and provider (not by array identity). */
const recent: StationIndex[] = [];
const RECENT = 4;

/**
 * The index for these stations and this provider: reused while the stations' positions (in
 * order) and the provider's id stay the same, so a service that reloads its stations each plan
 * still measures each pair once.
 */
export function stationIndexFor(
  stations: readonly { position: LatLon }[],
  distance: DistanceProvider,
): StationIndex {
  for (let i = 0; i < recent.length; i++) {
    const idx = recent[i] as StationIndex;
    if (idx.matches(stations, distance)) {
      if (i > 0) {
        recent.splice(i, 1);
        recent.unshift(idx);
      }
      return idx;
    }
  }
  const idx = new StationIndex(
    stations.map((s) => s.position),
    distance,
  );
  recent.unshift(idx);
  if (recent.length > RECENT) (recent.pop() as StationIndex).release();
  return idx;
}
