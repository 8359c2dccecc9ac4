import { sql } from 'kysely';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { FEIRA_STATIONS } from './ev-trips-feira.js';
import { startTestCentral } from './helpers/central.js';

const FEIRA = { lat: -12.2667, lon: -38.9667 };
const SALVADOR = { lat: -12.9714, lon: -38.5014 };
const PLATE = 'ABC1D23';
const OTHER = 'XYZ9A87';

/**
 * The trip planner and notify-when-free on a running central (PGlite, embedded broker, real
 * HTTP): a driver's car reports its battery over `carros/{placa}/bateria` with its own MQTT
 * credential; `POST /api/v1/trips/plan` plans from that live charge over the stations in the
 * database (Feira de Santana's stations 19 and 53 of the seed, and a synthetic Jequié), with
 * availability at arrival from bookings; books the stops through the reservation engine; re-plans
 * when the car reports again. A watch of a point in maintenance tells the car on
 * `carros/{placa}/avisos` (and the API) when an operator clears it.
 */
describe('trips and availability watches, from the car over MQTT to the API', () => {
  let t: Awaited<ReturnType<typeof startTestCentral>>;
  let admin: string;
  let ana: string;
  let bob: string;
  let car: MqttClient;
  const station: Record<number, number> = {};
  const points: Record<number, number[]> = {};
  const notices: Array<Record<string, unknown>> = [];

  const api = async (
    method: string,
    path: string,
    token: string,
    body?: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies of many shapes
  ): Promise<{ status: number; body: any }> => {
    const r = await fetch(`${t.central.http.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };
  const tripCount = async () =>
    Number(
      (await sql<{ n: string }>`SELECT count(*) AS n FROM ev_trips`.execute(t.central.database.db))
        .rows[0]?.n,
    );
  const report = async (pct: number) => {
    await car.publishAsync(
      `carros/${PLATE}/status`,
      JSON.stringify({ placa: PLATE, nivel_bateria: pct, em_carregamento: false }),
      { qos: 1 },
    );
    await expect
      .poll(async () => (await api('GET', `/cars/${PLATE}`, ana)).body?.last?.batteryPct, {
        timeout: 10_000,
      })
      .toBe(pct);
  };

  beforeAll(async () => {
    t = await startTestCentral({ ev: { trips: { watchReconcileMs: 3_600_000 } } });
    const db = t.central.database.db;
    admin = await mintToken(db, { role: 'admin' });
    // The network: seed stations 19 (two points, 50 kW CCS2) and 53 (one point, no connector on
    // record: the 50 kW default), and Jequié (150 kW), as the importer would leave them.
    await sql`INSERT INTO ev_companies (id, name) VALUES ('feira', 'Feira')`.execute(db);
    const rows = [
      ...FEIRA_STATIONS.filter(([id]) => id === 19 || id === 53).map(
        ([id, name, lat, lon]) => [id, name, lat, lon, id === 19 ? 2 : 1, 50_000] as const,
      ),
      [902, 'Jequié (synthetic)', -13.8578, -40.0853, 1, 150_000] as const,
    ];
    for (const [ext, name, lat, lon, n, watts] of rows) {
      const s = await sql<{ id: string }>`INSERT INTO ev_stations
        (company_id, external_id, name, latitude, longitude)
        VALUES ('feira', ${String(ext)}, ${name}, ${lat}, ${lon}) RETURNING id`.execute(db);
      station[ext] = Number(s.rows[0]?.id);
      points[ext] = [];
      for (let i = 1; i <= n; i++) {
        const p = await sql<{ id: string }>`INSERT INTO ev_points (station_id, external_id, name)
          VALUES (${station[ext]}, ${`p${i}`}, ${`P${i}`}) RETURNING id`.execute(db);
        const pointId = Number(p.rows[0]?.id);
        points[ext]?.push(pointId);
        if (ext !== 53)
          await sql`INSERT INTO ev_connectors (point_id, connector_no, standard, power_type, max_power_w)
            VALUES (${pointId}, 1, 'ccs2', 'dc', ${watts})`.execute(db);
      }
    }
    // Two drivers over the API, each with a car; Ana's car gets its MQTT credential.
    const drivers: string[] = [];
    for (const [doc, name, plate] of [
      ['529.982.247-25', 'Ana', PLATE],
      ['111.444.777-35', 'Bob', OTHER],
    ] as const) {
      expect(
        (
          await api('POST', '/drivers', admin, {
            document: doc,
            name,
            password: `${name}-password-1`,
          })
        ).status,
      ).toBe(201);
      const login = await fetch(`${t.central.http.url}/api/v1/auth/driver-login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ document: doc, password: `${name}-password-1` }),
      });
      const token = ((await login.json()) as { token: string }).token;
      drivers.push(token);
      expect((await api('POST', '/cars', token, { plate, model: 'Tesla Model 3' })).status).toBe(
        201,
      );
    }
    [ana, bob] = drivers as [string, string];
    const credential = await api('POST', `/cars/${PLATE}/mqtt-credential`, ana);
    car = await mqtt.connectAsync(t.central.mqttUrl, {
      username: `car@${PLATE}`,
      password: credential.body.secret,
      // A car's own client id namespace: its username, or username:suffix (docs/SECURITY.md).
      clientId: `car@${PLATE}:trips-test`,
      reconnectPeriod: 0,
    });
    car.on('message', (topic, payload) => {
      if (topic === `carros/${PLATE}/avisos`) notices.push(JSON.parse(payload.toString()));
    });
    await car.subscribeAsync(`carros/${PLATE}/avisos`, { qos: 1 });
  }, 120_000);
  afterAll(async () => {
    await car?.endAsync(true);
    await t?.close();
  });

  it('plans from the battery the car reported: Feira -> Salvador at 30 % stops at station 19 for 5 units', async () => {
    await report(30);
    const r = await api('POST', '/trips/plan', ana, {
      plate: 'abc-1d23',
      origin: FEIRA,
      destination: SALVADOR,
    });
    expect(r.status).toBe(201);
    // The arithmetic is the planner test's (ev-trips-planner.test.ts): 182,246 ms to station
    // 19, 5 min overhead, 5 units x 54 s, 4,665,624 ms on: 5,417,870 ms = 90.3 min.
    expect(r.body).toMatchObject({
      plate: PLATE,
      booked: false,
      start: { socPct: 30, source: 'car' },
      car: { model: 'Tesla Model 3', batteryKwh: 75, speedKmh: 90 },
      totalMinutes: 90.3,
      arrivalSocPct: 10,
      stops: [
        {
          seq: 1,
          stationId: station[19],
          arrivalSocPct: 29,
          departureSocPct: 34,
          chargeMinutes: 4.5,
          maxPowerKw: 50,
          reservationId: null,
        },
      ],
    });
    const again = await api('GET', `/trips/${r.body.id}`, ana);
    expect(again.body).toEqual(r.body);
    // Bob sees neither the trip nor, in his list, anything of Ana's.
    expect((await api('GET', `/trips/${r.body.id}`, bob)).status).toBe(404);
    expect((await api('GET', '/trips', bob)).body.items).toEqual([]);
  });

  it('books every stop at once; the booking is in the reservations API as the planner made it', async () => {
    const r = await api('POST', '/trips/plan', ana, {
      plate: PLATE,
      origin: FEIRA,
      destination: SALVADOR,
      book: true,
    });
    expect(r.status).toBe(201);
    expect(r.body.booked).toBe(true);
    const [stop] = r.body.stops;
    expect(points[19]).toContain(stop.pointId);
    const booking = await api('GET', `/reservations/${stop.reservationId}`, ana);
    expect(booking.body).toMatchObject({
      state: 'RESERVED',
      plate: PLATE,
      pointId: stop.pointId,
      source: 'planner',
      requestId: `trip-${r.body.id}-stop-1`,
    });
    // From when the car gets the point (arrival) to when it leaves, at least the 15-minute slot.
    expect(Date.parse(booking.body.start)).toBeLessThanOrEqual(Date.parse(stop.arriveAt));
    expect(Date.parse(booking.body.end)).toBeGreaterThanOrEqual(Date.parse(stop.departAt));
    expect((await api('GET', `/trips/${r.body.id}`, ana)).body.booked).toBe(true);
    const cancel = await api('POST', `/reservations/${stop.reservationId}/cancel`, ana, {
      reason: 'USER',
    });
    expect(cancel.status).toBe(200);
  });

  it('availability at arrival: station 19 booked by another car for the next two hours -> station 53', async () => {
    const now = Date.now();
    const start = new Date(Math.floor(now / 1000) * 1000).toISOString();
    const end = new Date(Math.floor(now / 1000) * 1000 + 2 * 3_600_000).toISOString();
    for (const pointId of points[19] ?? []) {
      const b = await api('POST', '/reservations', bob, { pointId, plate: OTHER, start, end });
      expect(b.status).toBe(201);
    }
    const r = await api('POST', '/trips/plan', ana, {
      plate: PLATE,
      origin: FEIRA,
      destination: SALVADOR,
      book: true,
    });
    expect(r.status).toBe(201);
    expect(r.body.stops.map((s: { stationId: number }) => s.stationId)).toEqual([station[53]]);
    expect(r.body.stops[0].pointId).toBe(points[53]?.[0]);
  });

  it('re-plans from the live battery: the car reports 80 %, the new plan needs no stop and releases the old booking', async () => {
    const trips = (await api('GET', '/trips', ana)).body.items;
    const booked = trips.find(
      (x: { booked: boolean; stops: unknown[] }) => x.booked && x.stops.length,
    );
    await report(80);
    const r = await api('POST', `/trips/${booked.id}/replan`, ana, { book: true });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      replacesId: booked.id,
      start: { socPct: 80, source: 'car' },
      stops: [],
      arrivalSocPct: 55,
    });
    const released = await api('GET', `/reservations/${booked.stops[0].reservationId}`, ana);
    expect(released.body).toMatchObject({ state: 'CANCELED', canceled: { reason: 'TRAFFIC' } });
  });

  it('bad requests store nothing and say why', async () => {
    const before = await tripCount();
    // Another driver's car looks absent.
    const other = await api('POST', '/trips/plan', ana, {
      plate: OTHER,
      socPct: 50,
      origin: FEIRA,
      destination: SALVADOR,
    });
    expect(other).toMatchObject({ status: 404, body: { error: { code: 'GL_NOT_FOUND' } } });
    // An unknown model without its numbers.
    const model = await api('POST', '/trips/plan', ana, {
      model: 'Fusca Elétrico',
      socPct: 50,
      origin: FEIRA,
      destination: SALVADOR,
    });
    expect(model).toMatchObject({ status: 400, body: { error: { code: 'GL_VALIDATION' } } });
    expect(model.body.error.message).toMatch(/model: Fusca Elétrico is not a known model/);
    // Out of range coordinates, an unknown key.
    const bad = await api('POST', '/trips/plan', ana, {
      model: 'Tesla Model 3',
      socPct: 50,
      origin: { lat: -120, lon: 0 },
      destination: SALVADOR,
      speed: 200,
    });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'GL_VALIDATION' } } });
    // Impossible: a Leaf at 20 % to Manaus, 1,700 km beyond the last station.
    const far = await api('POST', '/trips/plan', ana, {
      model: 'Nissan Leaf',
      socPct: 20,
      origin: FEIRA,
      destination: { lat: -3.119, lon: -60.0217 },
    });
    expect(far.status).toBe(422);
    expect(far.body.error.code).toMatch(/^GL_EV_TRIP_/);
    expect(far.body.error.message).toMatch(/km/);
    expect(await tripCount()).toBe(before);
  });

  it('notify when free: a watch of a point in maintenance tells the car on carros/{placa}/avisos and the API when it is cleared', async () => {
    const pointId = points[902]?.[0] as number;
    expect(
      (await api('PUT', `/points/${pointId}/maintenance`, admin, { on: true, reason: 'cabo' }))
        .status,
    ).toBe(200);
    const w = await api('POST', '/availability-watches', ana, { pointId, plate: PLATE });
    expect(w.status).toBe(201);
    expect(w.body).toMatchObject({ state: 'waiting', pointId, plate: PLATE, notifiedAt: null });
    // Bob neither sees it nor may delete it.
    expect((await api('GET', `/availability-watches/${w.body.id}`, bob)).status).toBe(404);
    expect((await api('DELETE', `/availability-watches/${w.body.id}`, bob)).status).toBe(404);
    expect(notices).toEqual([]);
    expect((await api('PUT', `/points/${pointId}/maintenance`, admin, { on: false })).status).toBe(
      200,
    );
    await expect.poll(() => notices.length, { timeout: 10_000 }).toBe(1);
    expect(notices[0]).toMatchObject({
      tipo: 'ponto_disponivel',
      aviso_id: w.body.id,
      ponto_id: pointId,
      disponivel: true,
    });
    const after = await api('GET', `/availability-watches/${w.body.id}`, ana);
    expect(after.body).toMatchObject({ state: 'notified', notifiedPointId: pointId });
    // One-shot: maintenance on and off again tells nobody twice.
    await api('PUT', `/points/${pointId}/maintenance`, admin, { on: true });
    await api('PUT', `/points/${pointId}/maintenance`, admin, { on: false });
    await t.central.ev.watches.idle();
    expect(notices).toHaveLength(1);
    // A watch of a station already free is told at once; deleting is the owner's.
    const now = await api('POST', '/availability-watches', ana, { stationId: station[53] });
    expect(now.body.state).toBe('notified');
    expect((await api('DELETE', `/availability-watches/${now.body.id}`, ana)).status).toBe(204);
    expect((await api('GET', '/availability-watches', ana)).body.items).toHaveLength(1);
    // Exactly one target.
    const both = await api('POST', '/availability-watches', ana, {
      pointId,
      stationId: station[53],
    });
    expect(both).toMatchObject({ status: 400, body: { error: { code: 'GL_VALIDATION' } } });
  });
});
