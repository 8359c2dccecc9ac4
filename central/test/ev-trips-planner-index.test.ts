import { seededRandom } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import {
  type DistanceProvider,
  greatCircleKm,
  greatCircleRoad,
  type LatLon,
  StationIndex,
  stationIndexFor,
} from '../src/ev/trips/index.js';

const rnd = seededRandom(20261207);
const at = (): LatLon => ({ lat: -10 - rnd() * 5.4, lon: -38 - rnd() * 5.4 });
const stations = Array.from({ length: 400 }, (_, i) => ({ id: i + 1, position: at() }));

/** The stations within r of p by measuring every one (the index must list exactly these). */
const brute = (d: DistanceProvider, p: LatLon, r: number, skip = -1) =>
  stations
    .map((s, j) => ({ j, km: d.distanceKm(p, s.position) }))
    .filter((e) => e.j !== skip && e.km <= r)
    .map((e) => e.j)
    .sort((a, b) => a - b);

describe('the planner station index', () => {
  it('lists exactly the stations within the radius, by whole km, with the provider distances', () => {
    const road = greatCircleRoad();
    const index = new StationIndex(
      stations.map((s) => s.position),
      road,
    );
    for (const [i, r] of [
      [0, 50],
      [7, 180.5],
      [123, 420],
      [399, 5],
    ] as const) {
      const nb = index.around(i, r);
      const listed = Array.from(nb.to.subarray(0, nb.size)).sort((a, b) => a - b);
      expect(listed).toEqual(brute(road, (stations[i] as { position: LatLon }).position, r, i));
      for (let j = 0; j < nb.size; j++) {
        const s = stations[nb.to[j] as number] as { position: LatLon };
        expect(nb.km[j]).toBe(
          road.distanceKm((stations[i] as { position: LatLon }).position, s.position),
        );
        if (j > 0)
          expect(Math.floor(nb.km[j] as number)).toBeGreaterThanOrEqual(
            Math.floor(nb.km[j - 1] as number),
          );
      }
    }
    // A point (the origin), and a provider that declares no great-circle factor: every pair measured.
    const p = at();
    const nb = index.aroundPoint(p, 260);
    expect(Array.from(nb.to.subarray(0, nb.size)).sort((a, b) => a - b)).toEqual(
      brute(road, p, 260),
    );
    const plain: DistanceProvider = { distanceKm: (a, b) => greatCircleKm(a, b) * 1.1 };
    const other = new StationIndex(
      stations.map((s) => s.position),
      plain,
    );
    const o = other.around(3, 300);
    expect(Array.from(o.to.subarray(0, o.size)).sort((a, b) => a - b)).toEqual(
      brute(plain, (stations[3] as { position: LatLon }).position, 300, 3),
    );
  });

  it('a reloaded station set with the same positions and provider id reuses the index; a moved station does not', () => {
    const first = stationIndexFor(stations, greatCircleRoad(1.3));
    const reloaded = stations.map((s) => ({ ...s, position: { ...s.position } }));
    expect(stationIndexFor(reloaded, greatCircleRoad(1.3))).toBe(first);
    expect(stationIndexFor(reloaded, greatCircleRoad(1.2))).not.toBe(first);
    const moved = reloaded.map((s, i) =>
      i === 17 ? { ...s, position: { lat: s.position.lat + 0.01, lon: s.position.lon } } : s,
    );
    expect(stationIndexFor(moved, greatCircleRoad(1.3))).not.toBe(first);
    // A longer reach than kept re-measures: the list grows to it.
    const near = first.around(5, 100);
    const far = first.around(5, 300);
    expect(far.size).toBeGreaterThan(near.size);
    expect(first.around(5, 200)).toBe(far);
  });
});
