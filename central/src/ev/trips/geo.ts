/** A position in decimal degrees (WGS 84). */
export interface LatLon {
  lat: number;
  lon: number;
}

/**
 * Road distance between two positions, in km. The planner needs only this; a road-graph
 * provider (OSRM, Valhalla, a contracted graph) can replace the default. The planner's A*
 * lower bound assumes the distances form a metric (the triangle inequality holds), which both the
 * great-circle default and any shortest-path distance do.
 */
export interface DistanceProvider {
  distanceKm(from: LatLon, to: LatLon): number;
  /**
   * When set, `distanceKm(a, b) >= greatCircleKm(a, b) x greatCircleFactor` for every a, b: the
   * planner's station index then skips stations whose great circle alone is out of reach (a road
   * is never shorter than the great circle, so 1 is right for any road graph). Unset: the index
   * measures every pair it needs.
   */
  readonly greatCircleFactor?: number;
  /**
   * Providers with the same id give the same distances: the planner reuses one station index
   * (its measured station-to-station distances) across calls with either.
   */
  readonly id?: string;
}

/** Mean Earth radius (IUGG), km. */
export const EARTH_RADIUS_KM = 6371.0088;
const RAD = Math.PI / 180;

/** Great-circle distance (haversine), km. */
export function greatCircleKm(a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The default road factor. Feira de Santana to Salvador is ~110 km by the BR-324 for 93.2 km of
 * great circle (1.18), to Vitória da Conquista ~370 km by the BR-116 for 352.7 km (1.05); towns'
 * streets and the detour to a charger run higher. 1.3 errs on the side of the battery (a plan
 * that overestimates distance arrives with more charge, never stranded); a road-graph provider
 * replaces it through DistanceProvider.
 */
export const DEFAULT_ROAD_FACTOR = 1.3;

/** Great-circle distance times a road factor (docs/EV.md, "Trip planner"). */
export function greatCircleRoad(roadFactor = DEFAULT_ROAD_FACTOR): DistanceProvider {
  if (!(roadFactor >= 1)) throw new RangeError(`roadFactor must be >= 1, got ${roadFactor}`);
  return {
    distanceKm: (a, b) => greatCircleKm(a, b) * roadFactor,
    greatCircleFactor: roadFactor,
    id: `great-circle x ${roadFactor}`,
  };
}
