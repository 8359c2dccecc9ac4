import { seededRandom } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import {
  type CarSpec,
  carSpecFor,
  chargeSpanMs,
  type DistanceProvider,
  genericCurve,
  greatCircleKm,
  greatCircleRoad,
  type LatLon,
  PEUGEOT_E208,
  type PlannerStation,
  planTrip,
  TESLA_MODEL_3_LR,
  type TripQuery,
  unitChargeMs,
  type WaitAt,
} from '../src/ev/trips/index.js';
import { FEIRA_STATIONS } from './ev-trips-feira.js';

const FEIRA: LatLon = { lat: -12.2667, lon: -38.9667 }; // Feira de Santana, centre
const SALVADOR: LatLon = { lat: -12.9714, lon: -38.5014 }; // Salvador, Praça da Sé
const CONQUISTA: LatLon = { lat: -14.8615, lon: -40.8442 }; // Vitória da Conquista, centre
const MIN = 60_000;
const tesla = carSpecFor({ model: 'Tesla Model 3' }) as CarSpec;
const leaf = carSpecFor({ model: 'Nissan Leaf' }) as CarSpec;
const feiraStations: PlannerStation[] = FEIRA_STATIONS.map(([id, , lat, lon]) => ({
  id,
  position: { lat, lon },
  maxPowerKw: 50,
}));

describe('planner parts', () => {
  it('great-circle distance: 1 degree of latitude is 111.195 km (mean radius 6371.0088 km); road = x 1.3', () => {
    expect(greatCircleKm({ lat: 0, lon: 0 }, { lat: 1, lon: 0 })).toBeCloseTo(111.195, 3);
    expect(greatCircleRoad().distanceKm({ lat: 0, lon: 0 }, { lat: 1, lon: 0 })).toBeCloseTo(
      144.554,
      3,
    );
    expect(() => greatCircleRoad(0.9)).toThrow(/roadFactor/);
  });

  it('the seed cars: Tesla at min(0.7 x 261, 90) = 90 km/h with the Model 3 LR curve; the Leaf on the generic curve', () => {
    expect(tesla).toMatchObject({ batteryKwh: 75, consumptionKwhPerKm: 0.15, speedKmh: 90 });
    expect(tesla.curve).toBe(TESLA_MODEL_3_LR);
    expect(leaf).toMatchObject({ batteryKwh: 40, consumptionKwhPerKm: 0.17, speedKmh: 90 });
    // A slow car: min(0.7 x 110, 90) = 77 km/h.
    expect(carSpecFor({ model: 'Peugeot e-208' })?.curve).toBe(PEUGEOT_E208);
    expect(carSpecFor({ model: 'Unknown', batteryKwh: 30 })).toBeNull();
    expect(
      carSpecFor({ model: 'Unknown', batteryKwh: 30, consumptionKwhPerKm: 0.2 }),
    ).toMatchObject({ speedKmh: 90 });
  });

  it('curves: Tesla 250 kW to 35 %, 175 kW at 57.5 % (halfway 200 -> 150); generic bands of the peak', () => {
    expect(TESLA_MODEL_3_LR.powerKw(10)).toBe(250);
    expect(TESLA_MODEL_3_LR.powerKw(57.5)).toBe(175);
    expect(TESLA_MODEL_3_LR.powerKw(100)).toBe(30);
    const g = genericCurve(50);
    expect([5, 10, 10.5, 60, 85, 95].map((s) => g.powerKw(s))).toEqual([
      25, 25, 50, 37.5, 17.5, 10,
    ]);
  });

  it('charge time per 1 % unit: midpoint power capped by the station', () => {
    // Tesla, 75 kWh: one unit = 0.75 kWh. At a 50 kW station the car (>= 60 kW to 90 %) is capped:
    // 0.75 / 50 h = 54 s. At 150 kW, unit 40 (midpoint 40.5 %, curve 250 - 50 x 5.5/15 = 231.67)
    // is capped at 150: 0.75 / 150 h = 18 s; unit 95 (95.5 %: 60 - 30 x 0.55 = 43.5 kW): 62.069 s.
    const at50 = unitChargeMs(tesla.curve, 50, 0.75, 1, 100);
    expect(at50[0]).toBe(54_000);
    expect(at50[92]).toBe(54_000);
    const at150 = unitChargeMs(tesla.curve, 150, 0.75, 1, 100);
    expect(at150[40]).toBe(18_000);
    expect(at150[95]).toBe(Math.round((0.75 / 43.5) * 3_600_000));
    expect(chargeSpanMs(at50, 29, 34)).toBe(5 * 54_000);
  });
});

describe('hand-worked routes', () => {
  const base = {
    departAt: Date.parse('2026-12-07T08:00:00Z'),
    car: tesla,
    minStopSocPct: 10,
    minDestSocPct: 10,
    stopOverheadMs: 5 * MIN,
  };

  it('Feira de Santana -> Salvador at 80 %: no stop', () => {
    // Great circle 93.216 km x 1.3 = 121.181 km; x 0.15 kWh/km = 18.18 kWh = 24.24 % of 75 kWh,
    // ceil -> 25 units: arrive with 80 - 25 = 55 % (>= 10). 121.181 km at 90 km/h = 4847.25 s,
    // ceil to the ms: 4,847,251 ms (1 h 20 min 47 s).
    const r = planTrip({
      ...base,
      origin: FEIRA,
      destination: SALVADOR,
      startSocPct: 80,
      stations: feiraStations,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan.stops).toEqual([]);
    expect(r.plan.distanceKm).toBe(121.18);
    expect(r.plan.arrivalSocPct).toBe(55);
    expect(r.plan.totalMs).toBe(4_847_251);
  });

  it('Feira de Santana -> Salvador at 30 %: one short stop on the way out of town, at the station of least detour', () => {
    // Direct needs 25 + 10 = 35 % > 30 %: charge first. At 50 kW every unit costs 54 s (above), so
    // the best stop charges exactly what the rest needs and adds the least road: station 19
    // (PowerCharge Lagoa Salgada, -12.2945 -38.9515), 4.556 km from the centre and 116.641 km on
    // to Salvador (121.197 km, the least of the 100; 53 is 121.201).
    //   origin -> 19: 4.556 km x 0.15 = 0.683 kWh = 0.91 units -> 1: arrive 29 %;
    //                 4.556 / 90 h = 182.246 s -> 182,246 ms.
    //   overhead 300,000 ms; 19 -> Salvador: 116.641 km x 0.15 = 17.50 kWh = 23.33 units -> 24,
    //   so leave with 24 + 10 = 34 %: charge 5 units x 54 s = 270,000 ms.
    //   19 -> Salvador: 116.641 / 90 h = 4665.624 s -> 4,665,624 ms (ceil of 4,665,623.5).
    //   total 182,246 + 300,000 + 270,000 + 4,665,624 = 5,417,870 ms (1 h 30 min 18 s).
    const r = planTrip({
      ...base,
      origin: FEIRA,
      destination: SALVADOR,
      startSocPct: 30,
      stations: feiraStations,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan.stops).toHaveLength(1);
    const [stop] = r.plan.stops;
    expect(stop).toMatchObject({
      station: { id: 19 },
      arrivalSocPct: 29,
      departureSocPct: 34,
      driveMs: 182_246,
      waitMs: 0,
      chargeMs: 270_000,
      energyKwh: 3.75,
    });
    expect(r.plan.finalLeg.driveMs).toBe(4_665_624);
    expect(r.plan.arrivalSocPct).toBe(10);
    expect(r.plan.totalMs).toBe(5_417_870);
    expect(r.plan.totalMs).toBe(
      r.plan.driveMs + r.plan.waitMs + r.plan.overheadMs + r.plan.chargeMs,
    );
  });

  it('availability at arrival: station 19 busy for 20 minutes -> the next-best station 53, not a wait', () => {
    // 53 (-12.2935 -38.9525): 4.362 + 116.839 km: 0.2 s more driving than 19 (the ms below), far
    // less than 20 minutes of waiting.
    const busy: WaitAt = (s, arrival) =>
      s.id === 19 && arrival < base.departAt + 20 * MIN ? base.departAt + 20 * MIN - arrival : 0;
    const r = planTrip({
      ...base,
      origin: FEIRA,
      destination: SALVADOR,
      startSocPct: 30,
      stations: feiraStations,
      waitAt: busy,
    });
    expect(r.ok && r.plan.stops.map((s) => s.station.id)).toEqual([53]);
    // With only 19 in service the car waits there: 20 min - 182,246 ms.
    const only19 = planTrip({
      ...base,
      origin: FEIRA,
      destination: SALVADOR,
      startSocPct: 30,
      stations: feiraStations.filter((s) => s.id === 19),
      waitAt: busy,
    });
    expect(only19.ok && only19.plan.stops[0]?.waitMs).toBe(20 * MIN - 182_246);
    expect(only19.ok && only19.plan.totalMs).toBe(5_417_870 + 20 * MIN - 182_246);
  });

  // Synthetic stations along the BR-116 (the seed has none outside Feira), at the towns' centres:
  // Milagres 50 kW, Jequié 150 kW, Poções 50 kW. Road km (great circle x 1.3): Feira-Milagres
  // 153.171, Milagres-Jequié 146.324, Jequié-Conquista 179.846, Milagres-Conquista 319.372,
  // Feira-Jequié 278.762, Jequié-Poções 104.737, Poções-Conquista 82.401, Feira-Conquista 458.566.
  // Units (1 % = 0.75 kWh, so km x 0.15 / 0.75 = km / 5, ceil): Feira-Milagres 31,
  // Milagres-Jequié 30, Jequié-Conquista 36, Milagres-Conquista 64, Feira-Jequié 56,
  // Feira-Conquista 92. At 40 s/km (90 km/h).
  const synthetic: PlannerStation[] = [
    { id: 901, position: { lat: -12.8697, lon: -39.8594 }, maxPowerKw: 50 },
    { id: 902, position: { lat: -13.8578, lon: -40.0853 }, maxPowerKw: 150 },
    { id: 903, position: { lat: -14.5297, lon: -40.365 }, maxPowerKw: 50 },
  ];

  it('Feira de Santana -> Vitória da Conquista at 100 % along the BR-116: one short stop at Jequié', () => {
    // 92 + 10 = 102 % > 100: one stop is needed, wherever. Jequié is on the way (278.762 +
    // 179.846 = 458.608 km, 0.042 km more than direct): arrive 100 - 56 = 44 %, leave with
    // 36 + 10 = 46 %: 2 units at 150 kW (the car gives 250 kW to 35 %, 200 at 50 %) = 2 x 18 s.
    // Milagres instead: arrive 69 %, leave 74 %: 5 x 54 s = 270 s and 14 km more (559 s).
    // Drive: 278.762 km -> 11,150,487 ms; 179.846 km -> 7,193,838 ms; total 18,344,325 ms
    // + 300,000 overhead + 36,000 charge = 18,680,325 ms (5 h 11 min 20 s).
    const r = planTrip({
      ...base,
      origin: FEIRA,
      destination: CONQUISTA,
      startSocPct: 100,
      stations: [...feiraStations, ...synthetic],
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(
      r.plan.stops.map((s) => [s.station.id, s.arrivalSocPct, s.departureSocPct, s.chargeMs]),
    ).toEqual([[902, 44, 46, 36_000]]);
    expect(r.plan.driveMs).toBe(18_344_325);
    expect(r.plan.totalMs).toBe(18_680_325);
  });

  it('Feira de Santana -> Vitória da Conquista at 60 %: top up in Feira, then Jequié', () => {
    // Feira-Jequié needs 56 units: 60 - 56 = 4 % < 10, so Jequié needs a stop before it. Options:
    //  a) a Feira station on the way out: station 90 (GreenPower Campo Limpo III) adds the least
    //     road (1.895 + 276.872 = 278.767 km); arrive 60 - 1 = 59 % (1.895 km = 0.38 units -> 1),
    //     leave with 56 + 10 = 66 %: 7 units x 54 s = 378 s;
    //  b) Milagres: arrive 29 %, leave 30 + 10 = 40 %: 11 x 54 s = 594 s and 14 km (559 s) more.
    // Then Jequié: arrive 10 %, leave 46 %: 36 units x 18 s = 648 s.
    // Drive 75,803 + 11,074,864 + 7,193,838 = 18,344,505 ms; + 2 x 300,000 overhead + 378,000
    // + 648,000 = 19,970,505 ms (5 h 32 min 51 s).
    const r = planTrip({
      ...base,
      origin: FEIRA,
      destination: CONQUISTA,
      startSocPct: 60,
      stations: [...feiraStations, ...synthetic],
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(
      r.plan.stops.map((s) => [s.station.id, s.arrivalSocPct, s.departureSocPct, s.chargeMs]),
    ).toEqual([
      [90, 59, 66, 378_000],
      [902, 10, 46, 648_000],
    ]);
    expect(r.plan.driveMs).toBe(18_344_505);
    expect(r.plan.totalMs).toBe(19_970_505);
    expect(r.plan.arrivalSocPct).toBe(10);
    // Without the Feira stations: Milagres (b), 21,015,634 ms.
    const without = planTrip({
      ...base,
      origin: FEIRA,
      destination: CONQUISTA,
      startSocPct: 60,
      stations: synthetic,
    });
    expect(without.ok && without.plan.stops.map((s) => s.station.id)).toEqual([901, 902]);
    expect(without.ok && without.plan.totalMs).toBe(21_015_634);
  });
});

describe('impossible trips say why', () => {
  const base = {
    departAt: 0,
    minStopSocPct: 10,
    minDestSocPct: 10,
    stopOverheadMs: 0,
    destination: CONQUISTA,
  };
  const on = (lat: number, lon: number, id: number, kw = 50): PlannerStation => ({
    id,
    position: { lat, lon },
    maxPowerKw: kw,
  });

  it('no station in reach of the origin', () => {
    // Leaf at 15 %: (15 - 10) % x 40 kWh / 0.17 = 11.76 km; Milagres is 153 km away.
    const r = planTrip({
      ...base,
      origin: FEIRA,
      car: leaf,
      startSocPct: 15,
      stations: [on(-12.8697, -39.8594, 901)],
    });
    expect(r).toMatchObject({
      ok: false,
      code: 'GL_EV_TRIP_NO_STATION_IN_RANGE',
      details: { from: 'origin', reachKm: 11.76, nearestStationKm: 153.17 },
    });
    expect(!r.ok && r.message).toMatch(
      /no station reachable from the origin: 15 % reaches 11.76 km/,
    );
  });

  it('the stations in reach have no charging point available', () => {
    const r = planTrip({
      ...base,
      origin: FEIRA,
      car: leaf,
      startSocPct: 100,
      stations: feiraStations,
      waitAt: () => Infinity,
    });
    expect(r).toMatchObject({ ok: false, code: 'GL_EV_TRIP_NO_STATION_IN_RANGE' });
    expect(!r.ok && r.message).toMatch(
      /100 station\(s\) within .* have no charging point available/,
    );
  });

  it('the car is too small: a gap wider than its full range', () => {
    // Leaf: 40 / 0.17 = 235.29 km from full to empty; from Feira the next station (Jequié) is
    // 278.76 km away and Conquista 458.57 km.
    const r = planTrip({
      ...base,
      origin: FEIRA,
      car: leaf,
      startSocPct: 100,
      stations: [...feiraStations, on(-13.8578, -40.0853, 902)],
    });
    expect(r).toMatchObject({
      ok: false,
      code: 'GL_EV_TRIP_CAR_TOO_SMALL',
      details: { fullRangeKm: 235.29, toStationId: 902 },
    });
  });

  it('a gap the car crosses only by spending its minimum stop charge', () => {
    // Leaf from Jequié, minimum stop charge 30 %: (100 - 30) % x 40 / 0.17 = 164.71 km, less
    // than Jequié -> Conquista (179.85 km), itself less than the full range (235.29 km); the
    // destination is further on.
    const r = planTrip({
      ...base,
      origin: { lat: -13.8578, lon: -40.0853 },
      car: leaf,
      startSocPct: 100,
      minStopSocPct: 30,
      stations: [on(-13.8578, -40.0853, 902), on(-14.8615, -40.8442, 904)],
      destination: { lat: -15.3, lon: -41.2 },
    });
    expect(r).toMatchObject({
      ok: false,
      code: 'GL_EV_TRIP_NO_STATION_IN_RANGE',
      details: { from: 902, nextStationId: 904, reachKm: 164.71 },
    });
  });

  it('the destination lies beyond a full charge keeping its minimum', () => {
    // Tesla, Jequié (150 kW) the only station, Conquista 179.85 km on; arriving with 80 % leaves
    // (100 - 80) % x 75 / 0.15 = 100 km.
    const r = planTrip({
      ...base,
      origin: FEIRA,
      car: tesla,
      startSocPct: 100,
      minDestSocPct: 80,
      stations: [on(-13.8578, -40.0853, 902, 150)],
    });
    expect(r).toMatchObject({
      ok: false,
      code: 'GL_EV_TRIP_DESTINATION_UNREACHABLE',
      details: { closestStationId: 902, distanceKm: 179.85, reachKm: 100 },
    });
  });
});

/**
 * The exhaustive search the planner must agree with: every sequence of distinct stations, every
 * departure charge at each, over the same SoC units (ceil-rounded leg units and drive ms, integer
 * ms charge units from unitChargeMs). It shares no code with the planner's search.
 */
function exhaustive(q: TripQuery, step: number): number | null {
  const { car } = q;
  const dist: DistanceProvider = q.distance ?? greatCircleRoad();
  const unitKwh = (car.batteryKwh * step) / 100;
  const units = (a: LatLon, b: LatLon) =>
    Math.ceil((dist.distanceKm(a, b) * car.consumptionKwhPerKm) / unitKwh - 1e-9);
  const ms = (a: LatLon, b: LatLon) =>
    Math.ceil((dist.distanceKm(a, b) * 3_600_000) / car.speedKmh);
  const B = 100 / step;
  const s0 = Math.floor(q.startSocPct / step + 1e-9);
  const minStop = Math.ceil(q.minStopSocPct / step - 1e-9);
  const minDest = Math.ceil(q.minDestSocPct / step - 1e-9);
  const maxCharge = Math.floor((q.maxChargeSocPct ?? 100) / step + 1e-9);
  const waitAt = q.waitAt ?? (() => 0);
  let best = Infinity;
  const visited = new Set<number>();
  const go = (at: LatLon, k: number, t: number) => {
    if (k - units(at, q.destination) >= minDest) best = Math.min(best, t + ms(at, q.destination));
    q.stations.forEach((s, i) => {
      if (visited.has(i)) return;
      const a = k - units(at, s.position);
      if (a < minStop) return;
      const w = waitAt(s, t + ms(at, s.position));
      if (w === Infinity) return;
      const start = t + ms(at, s.position) + Math.round(w) + q.stopOverheadMs;
      const table = unitChargeMs(car.curve, s.maxPowerKw, unitKwh, step, B);
      visited.add(i);
      for (let b = a; b <= Math.max(a, maxCharge); b++)
        go(s.position, b, start + chargeSpanMs(table, a, b));
      visited.delete(i);
    });
  };
  go(q.origin, s0, q.departAt);
  return best === Infinity ? null : best - q.departAt;
}

describe('the planner equals an exhaustive search on 500 random small instances', () => {
  it('same total time to the ms (or both impossible), seed 20261206', () => {
    const rnd = seededRandom(20261206);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const cars: CarSpec[] = [
      tesla,
      leaf,
      carSpecFor({ model: 'Chevrolet Bolt EV' }) as CarSpec,
      carSpecFor({ model: 'BYD Dolphin' }) as CarSpec,
      carSpecFor({ model: 'Peugeot e-208' }) as CarSpec,
    ];
    const tally = { feasible: 0, stops1: 0, stops2: 0, waited: 0, infeasible: 0 };
    for (let n = 0; n < 500; n++) {
      const step = pick([10, 10, 5]);
      const count = step === 5 ? 1 + Math.floor(rnd() * 3) : 1 + Math.floor(rnd() * 4);
      const car = pick(cars);
      const span = 1 + rnd() * 3; // degrees: ~110-440 km boxes
      const at = (): LatLon => ({ lat: -12 - rnd() * span, lon: -39 - rnd() * span });
      const stations: PlannerStation[] = Array.from({ length: count }, (_, i) => ({
        id: i + 1,
        position: at(),
        maxPowerKw: pick([22, 50, 150]),
      }));
      // Busy until a random moment in the first 3 h (FIFO), or out of service.
      const busyUntil = new Map(
        stations.map((s) => [
          s.id,
          rnd() < 0.1 ? Infinity : rnd() < 0.5 ? rnd() * 3 * 3_600_000 : 0,
        ]),
      );
      const waitAt: WaitAt = (s, t) => {
        const until = busyUntil.get(s.id) ?? 0;
        return until === Infinity ? Infinity : Math.max(0, until - t);
      };
      const q: TripQuery = {
        origin: at(),
        destination: at(),
        departAt: 0,
        car,
        startSocPct: 10 + Math.floor(rnd() * 9) * 10,
        minStopSocPct: pick([0, 5, 10, 20]),
        minDestSocPct: pick([0, 10, 20, 30]),
        maxChargeSocPct: pick([100, 100, 80]),
        stopOverheadMs: pick([0, 5 * MIN, 10 * MIN]),
        stations,
        waitAt,
        socStepPct: step,
      };
      const r = planTrip(q);
      const want = exhaustive(q, step);
      expect({ n, total: r.ok ? r.plan.totalMs : null }).toEqual({ n, total: want });
      if (!r.ok) {
        tally.infeasible++;
        continue;
      }
      tally.feasible++;
      if (r.plan.stops.length >= 1) tally.stops1++;
      if (r.plan.stops.length >= 2) tally.stops2++;
      if (r.plan.waitMs > 0) tally.waited++;
      // The plan adds up and keeps its limits.
      const p = r.plan;
      expect(p.totalMs).toBe(p.driveMs + p.waitMs + p.overheadMs + p.chargeMs);
      for (const s of p.stops) expect(s.arrivalSocPct).toBeGreaterThanOrEqual(q.minStopSocPct);
      expect(p.arrivalSocPct).toBeGreaterThanOrEqual(q.minDestSocPct);
    }
    // Not vacuous: stops, multi-stop plans, waits and impossible trips all occur.
    expect(tally.stops1).toBeGreaterThan(50);
    expect(tally.stops2).toBeGreaterThan(10);
    expect(tally.waited).toBeGreaterThan(10);
    expect(tally.infeasible).toBeGreaterThan(10);
  });
});
