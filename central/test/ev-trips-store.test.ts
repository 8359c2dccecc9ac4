import { FakeClock, type GridlinkError } from '@gridlink/shared';
import { Aedes } from 'aedes';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EvEvents } from '../src/ev/events.js';
import {
  type ReservationActor,
  ReservationEngine,
  reservationsConfigSchema,
} from '../src/ev/reservations/index.js';
import { AvailabilityWatches, TripService, tripsConfigSchema } from '../src/ev/trips/index.js';
import { aedesLink } from '../src/mqtt-router/index.js';
import type { Database } from '../src/storage/index.js';
import { describeEachStore } from './helpers/stores.js';

const T0 = Date.parse('2027-01-04T08:00:00Z');
const HOUR = 3_600_000;
const FEIRA = { lat: -12.2667, lon: -38.9667 };
const CONQUISTA = { lat: -14.8615, lon: -40.8442 };

/**
 * The trip service's SQL and bookings on PGlite and PostgreSQL (the live-central test runs on
 * PGlite only): availability from live bookings over `tstzrange`, the all-or-nothing booking of a
 * two-stop trip, and the watches' claim.
 */
describeEachStore('ev trips: service and watches', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let aedes: Aedes;
  let clock: FakeClock;
  let engine: ReservationEngine;
  let trips: TripService;
  let watches: AvailabilityWatches;
  let events: EvEvents;
  let ana: ReservationActor;
  const published: Array<{ topic: string; body: Record<string, unknown> }> = [];
  const station: Record<string, number> = {};
  const point: Record<string, number> = {};

  beforeAll(async () => {
    database = await store.open();
    const db = database.db;
    await sql`INSERT INTO ev_companies (id, name) VALUES ('feira', 'Feira')`.execute(db);
    // Feira's station 90 (the least detour toward Jequié, see ev-trips-planner.test.ts) at 50 kW
    // and a synthetic Jequié at 150 kW, one point each.
    for (const [key, lat, lon, watts] of [
      ['feira90', -12.277, -38.975, 50_000],
      ['jequie', -13.8578, -40.0853, 150_000],
    ] as const) {
      const s = await sql<{ id: string }>`INSERT INTO ev_stations
        (company_id, external_id, name, latitude, longitude)
        VALUES ('feira', ${key}, ${key}, ${lat}, ${lon}) RETURNING id`.execute(db);
      station[key] = Number(s.rows[0]?.id);
      const p = await sql<{ id: string }>`INSERT INTO ev_points (station_id, external_id, name)
        VALUES (${station[key]}, 'p1', 'P1') RETURNING id`.execute(db);
      point[key] = Number(p.rows[0]?.id);
      await sql`INSERT INTO ev_connectors (point_id, connector_no, standard, power_type, max_power_w)
        VALUES (${point[key]}, 1, 'ccs2', 'dc', ${watts})`.execute(db);
    }
    const d = await sql<{ id: string }>`INSERT INTO ev_drivers (document, name, password_hash)
      VALUES ('52998224725', 'Ana', 'x') RETURNING id`.execute(db);
    const driverId = Number(d.rows[0]?.id);
    ana = { kind: 'driver', driverId, label: `driver:${driverId}` };
    await sql`INSERT INTO ev_cars (plate, driver_id, model, last_battery_pct, last_charging, last_at)
      VALUES ('ABC1D23', ${driverId}, 'Tesla Model 3', 60, false, ${new Date(T0).toISOString()}::timestamptz)`.execute(
      db,
    );
    aedes = await Aedes.createBroker();
    await new Promise<void>((resolve) =>
      aedes.subscribe(
        'carros/+/avisos',
        (packet, done) => {
          published.push({ topic: packet.topic, body: JSON.parse(packet.payload.toString()) });
          done();
        },
        resolve,
      ),
    );
    clock = new FakeClock(T0);
    events = new EvEvents();
    engine = new ReservationEngine({
      db,
      clock,
      config: reservationsConfigSchema.parse({}),
      events,
      link: aedesLink(aedes),
      logger: pino({ level: 'silent' }),
    });
    const config = tripsConfigSchema.parse({ watchReconcileMs: 60_000 });
    trips = new TripService({
      db,
      clock,
      config,
      reservations: engine,
      minSlotMinutes: 15,
      logger: pino({ level: 'silent' }),
    });
    watches = await AvailabilityWatches.start({
      db,
      clock,
      config,
      events,
      link: aedesLink(aedes),
      logger: pino({ level: 'silent' }),
    });
  }, 60_000);
  afterAll(async () => {
    await watches?.close();
    await engine?.idle();
    await new Promise<void>((resolve) => (aedes ? aedes.close(() => resolve()) : resolve()));
    await database?.dispose();
  });

  it('plans Feira -> Vitória da Conquista from the stored battery (60 %): Feira 90, then Jequié', async () => {
    const t = await trips.plan({ plate: 'ABC1D23', origin: FEIRA, destination: CONQUISTA }, ana);
    expect(t.start).toEqual({ socPct: 60, source: 'car', reportedAt: new Date(T0).toISOString() });
    expect(t.stops.map((s) => [s.stationId, s.arrivalSocPct, s.departureSocPct])).toEqual([
      [station.feira90, 59, 66],
      [station.jequie, 10, 46],
    ]);
    // 19,970,505 ms (ev-trips-planner.test.ts) = 332.8 min.
    expect(t.totalMinutes).toBe(332.8);
    const rows = await database.db
      .selectFrom('ev_trip_stops')
      .selectAll()
      .where('trip_id', '=', t.id)
      .execute();
    expect(rows.map((r) => Number(r.station_id))).toEqual([station.feira90, station.jequie]);
  });

  it("a booking at Jequié by another car over the arrival shows as a wait: the plan waits for the slot's end", async () => {
    const other = await engine.book({
      pointId: point.jequie as number,
      plate: 'XYZ9A87',
      start: new Date(T0 + 3 * HOUR),
      end: new Date(T0 + 4 * HOUR),
    });
    try {
      const t = await trips.plan({ plate: 'ABC1D23', origin: FEIRA, destination: CONQUISTA }, ana);
      const jequie = t.stops.find((s) => s.stationId === station.jequie);
      // Without the booking the car would arrive at 11,828,667 ms (3 h 17 min) and charge at
      // once; now it gets the point when the booking ends, 4 h after departure (waiting there,
      // or arriving later after charging longer in Feira: the planner picks the faster).
      expect(Date.parse(jequie?.chargeFrom ?? '')).toBeGreaterThanOrEqual(
        T0 + 4 * HOUR + 5 * 60_000,
      );
      expect(t.totalMinutes).toBeGreaterThan(332.8);
      expect(jequie?.waitMinutes).toBeGreaterThan(0);
    } finally {
      await engine.cancel(other.id, 'OPERATOR', { kind: 'system', label: 'test' });
    }
  });

  it('books all stops or none: the second stop collides with her own booking, the first is canceled', async () => {
    // Her own booking is not a wait for her (it is hers), but the engine refuses a second one.
    const own = await engine.book(
      {
        pointId: point.jequie as number,
        plate: 'ABC1D23',
        driverId: ana.kind === 'driver' ? ana.driverId : null,
        start: new Date(T0 + 3 * HOUR),
        end: new Date(T0 + 4 * HOUR),
      },
      ana,
    );
    const before = await database.db.selectFrom('ev_reservations').select('id').execute();
    const err = (await trips
      .plan({ plate: 'ABC1D23', origin: FEIRA, destination: CONQUISTA, book: true }, ana)
      .then(
        () => null,
        (e: unknown) => e,
      )) as GridlinkError;
    expect(err?.code).toBe('GL_EV_SLOT_TAKEN');
    expect(err.details).toMatchObject({ seq: 2, stationId: station.jequie });
    const made = await database.db
      .selectFrom('ev_reservations')
      .select(['id', 'state', 'point_id'])
      .where(
        'id',
        'not in',
        before.map((r) => Number(r.id)),
      )
      .execute();
    // Stop 1 was booked, then canceled; nothing else is live.
    expect(made.map((r) => [Number(r.point_id), r.state])).toEqual([[point.feira90, 'CANCELED']]);
    await engine.cancel(own.id, 'USER', ana);
  });

  it('a watch is claimed once: the event and the reconcile tick never tell twice', async () => {
    const db = database.db;
    await sql`UPDATE ev_points SET maintenance = true WHERE id = ${point.jequie}`.execute(db);
    const w = await watches.create({ pointId: point.jequie as number, plate: 'ABC1D23' }, ana);
    expect(w.state).toBe('waiting');
    await sql`UPDATE ev_points SET maintenance = false WHERE id = ${point.jequie}`.execute(db);
    // The live module's event and the tick race: one notice.
    events.emit('point.state', {
      pointId: point.jequie as number,
      stationId: station.jequie as number,
      companyId: 'feira',
      from: 'unknown',
      to: 'unknown',
      at: new Date(clock.now()),
      faultCode: null,
      maintenance: false,
      sessionEnergyWh: null,
      energyTotalWh: null,
      powerW: null,
    });
    clock.advance(60_000);
    await watches.idle();
    await expect.poll(() => published.length).toBe(1);
    expect(published[0]).toMatchObject({
      topic: 'carros/ABC1D23/avisos',
      body: { aviso_id: w.id, ponto_id: point.jequie },
    });
    expect((await watches.get(w.id, ana))?.state).toBe('notified');
    // Expiry: a watch of a point in maintenance past its ttl is expired, never told.
    await sql`UPDATE ev_points SET maintenance = true WHERE id = ${point.jequie}`.execute(db);
    const late = await watches.create({ pointId: point.jequie as number, ttlMinutes: 10 }, ana);
    clock.advance(11 * 60_000);
    // The tick the clock just ran expires it; let it finish before the point frees up.
    await watches.idle();
    await sql`UPDATE ev_points SET maintenance = false WHERE id = ${point.jequie}`.execute(db);
    clock.advance(60_000);
    await watches.idle();
    expect((await watches.get(late.id, ana))?.state).toBe('expired');
  });
});
