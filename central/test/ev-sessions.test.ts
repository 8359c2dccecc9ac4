import { FakeClock, type GridlinkError } from '@gridlink/shared';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePix } from '../src/billing/index.js';
import { ControlPlane } from '../src/control/index.js';
import { EvEvents } from '../src/ev/events.js';
import { ReservationEngine, reservationsConfigSchema } from '../src/ev/reservations/index.js';
import {
  ChargingSessions,
  decide,
  type SessionActor,
  sessionsConfigSchema,
} from '../src/ev/sessions/index.js';
import { aedesLink } from '../src/mqtt-router/index.js';
import type { Database, EvPointState } from '../src/storage/index.js';
import { seedNetwork, statusBroker } from './ev-reservations-fixture.js';
import { describeEachStore } from './helpers/stores.js';

const T0 = Date.parse('2027-01-04T12:00:00Z'); // a Monday, 09:00 in America/Bahia
const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN);
const PIX = {
  key: '123e4567-e89b-12d3-a456-426614174000',
  merchantName: 'GridLink Recarga',
  merchantCity: 'Feira Santana',
};
// R$ 1.95/kWh per Wh; idle after 10 min grace at R$ 30.00/h (R$ 0.50/min) per whole minute.
const TARIFF = {
  elements: [
    {
      price_components: [
        { type: 'ENERGY', price: '1.95', step_size: 1 },
        { type: 'PARKING_TIME', price: '30.00', step_size: 60, grace_minutes: 10 },
      ],
    },
  ],
};

async function refusal(p: Promise<unknown>): Promise<GridlinkError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!err) throw new Error('expected a refusal');
  return err as GridlinkError;
}

describe('decide (pure)', () => {
  const r = (state: EvPointState, min: number, total: number | null, session: number | null) => ({
    state,
    at: at(min),
    energyTotalWh: total,
    sessionEnergyWh: session,
    powerW: null,
  });
  it('opens at plug-in from the lifetime register; first seen charging, from total − session', () => {
    expect(decide(null, r('preparing', 0, 5000, 900), MIN)).toMatchObject({
      kind: 'open',
      energyStartWh: 5000, // the session register still shows the last session (900)
      chargingStartedAt: null,
    });
    expect(decide(null, r('charging', 0, 5000, 300), MIN)).toMatchObject({
      kind: 'open',
      energyStartWh: 4700,
      chargingStartedAt: at(0),
    });
    expect(decide(null, r('available', 0, 5000, 0), MIN)).toEqual({ kind: 'none' });
    expect(decide(null, r('unknown', 0, 5000, 0), MIN)).toEqual({ kind: 'none' });
  });
  it('ends on unplug, fault or out of service; a stale reading changes nothing', () => {
    const open = {
      id: 1,
      chargingStartedAt: at(1),
      chargingStoppedAt: null,
      energyStartWh: 5000,
      maxPowerW: null,
      lastReadingAt: at(5),
      lastSampleAt: at(5),
    };
    for (const s of ['available', 'faulted', 'unavailable', 'reserved'] as const)
      expect(decide(open, r(s, 10, 6000, 1000), MIN)).toMatchObject({
        kind: 'end',
        endedAt: at(10),
        reason: s,
        patch: { chargingStoppedAt: at(10), energyEndWh: 6000 },
      });
    expect(decide(open, r('available', 4, 6000, 1000), MIN)).toEqual({ kind: 'none' });
  });
});

describeEachStore('ev charging sessions', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let broker: Awaited<ReturnType<typeof statusBroker>>;
  let clock: FakeClock;
  let events: EvEvents;
  let engine: ReservationEngine;
  let control: ControlPlane;
  let sessions: ChargingSessions;
  let points: number[];
  let drivers: number[];
  const commands: Array<{ topic: string; body: Record<string, unknown> }> = [];
  const staff: SessionActor = { by: 'operator:t1', driverId: null, scope: { kind: 'all' } };
  const driver = (i: number): SessionActor => ({
    by: `driver:${drivers[i]}`,
    driverId: drivers[i] as number,
    scope: { kind: 'driver', driverId: drivers[i] as number },
  });

  /** What ev/live does with a charger reading: the point row, then the events after commit. */
  async function reading(
    pointId: number,
    state: EvPointState,
    minute: number,
    totalWh: number,
    sessionWh: number,
    powerW = 0,
  ) {
    clock.set(T0 + minute * MIN);
    const before = await sql<{ state: EvPointState }>`SELECT state FROM ev_points
      WHERE id = ${pointId}`.execute(database.db);
    const from = before.rows[0]?.state ?? 'unknown';
    const when = at(minute);
    await sql`UPDATE ev_points SET state = ${state}, state_at = ${when.toISOString()}::timestamptz,
      energy_total_wh = ${totalWh}, session_energy_wh = ${sessionWh}, power_w = ${powerW}
      WHERE id = ${pointId}`.execute(database.db);
    const facts = { sessionEnergyWh: sessionWh, energyTotalWh: totalWh, powerW };
    events.emit('point.telemetry', { pointId, at: when, state, ...facts });
    if (from !== state)
      events.emit('point.state', {
        pointId,
        stationId: 1,
        companyId: 'feira',
        from,
        to: state,
        at: when,
        faultCode: null,
        maintenance: false,
        ...facts,
      });
    await sessions.idle();
  }

  beforeAll(async () => {
    database = await store.open();
    const net = await seedNetwork(database, 4);
    points = net.pointIds;
    drivers = net.drivers;
    await sql`UPDATE ev_points SET tariff = ${JSON.stringify(TARIFF)}::jsonb`.execute(database.db);
    // Points 1-3 are bound to chargers of edge e1, which reported them in its status.
    await sql`INSERT INTO edges (id, secret_hash, status) VALUES ('e1', 'x', ${JSON.stringify({
      devices: [1, 2, 3].map((n) => ({ deviceId: `charger-${n}`, profile: 'gridlink-charger' })),
    })}::jsonb)`.execute(database.db);
    for (const [i, id] of points.slice(0, 3).entries())
      await sql`UPDATE ev_points SET edge_id = 'e1', device_id = ${`charger-${i + 1}`}
        WHERE id = ${id}`.execute(database.db);
    broker = await statusBroker();
    await new Promise<void>((resolve) =>
      broker.aedes.subscribe(
        'gl/v1/edges/+/commands',
        (packet, done) => {
          commands.push({ topic: packet.topic, body: JSON.parse(packet.payload.toString()) });
          done();
        },
        resolve,
      ),
    );
    clock = new FakeClock(T0);
    events = new EvEvents();
    const logger = pino({ level: 'silent' });
    const link = aedesLink(broker.aedes);
    engine = new ReservationEngine({
      db: database.db,
      clock,
      config: reservationsConfigSchema.parse({}),
      events,
      link,
      logger,
    });
    control = new ControlPlane({ db: database.db, link, logger, now: () => new Date(clock.now()) });
    sessions = await ChargingSessions.start({
      db: database.db,
      events,
      control,
      reservations: engine,
      logger,
      clock,
      // The tests reconcile by hand; the interval only when the clock jumps an hour.
      config: sessionsConfigSchema.parse({ reconcileSeconds: 3600 }),
      pix: PIX,
    });
  }, 60_000);
  afterAll(async () => {
    await sessions?.close();
    await engine?.idle();
    await broker?.close();
    await database?.dispose();
  });

  it('plug-in → charging → finishing → unplug: one session, energy from the lifetime register, priced with idle time, Pix for the total', async () => {
    const p = points[0] as number;
    await reading(p, 'preparing', 0, 1_000_000, 777); // session register: the last session's
    await reading(p, 'charging', 1, 1_000_000, 0, 7040);
    await reading(p, 'charging', 30, 1_011_000, 11_000, 7040);
    await reading(p, 'finishing', 61, 1_023_456, 23_456);
    await reading(p, 'available', 86, 1_023_456, 23_456);
    const [s] = await sessions.list({ pointId: p }, { kind: 'all' });
    // 23,456 Wh × 1.95 = 45.7392 → 45.74; idle 61→86 = 25 min − 10 grace = 15 min × 0.50 = 7.50
    expect(s).toMatchObject({
      state: 'priced',
      startedAt: at(0).toISOString(),
      chargingStartedAt: at(1).toISOString(),
      chargingStoppedAt: at(61).toISOString(),
      endedAt: at(86).toISOString(),
      energyWh: 23_456,
      maxPowerW: 7040,
      startedBy: 'charger',
      endReason: 'available',
      totalCentavos: 5324,
    });
    expect(s?.price?.lines.map((l) => [l.dimension, l.quantity, l.amountCentavos])).toEqual([
      ['ENERGY', '23.456', 4574],
      ['PARKING_TIME', '15.00', 750],
    ]);
    const receipt = await sessions.receipt(s?.id as number, { kind: 'all' });
    expect(receipt).toMatchObject({ totalCentavos: 5324, total: 'R$ 53,24', energyWh: 23_456 });
    const pix = decodePix(receipt?.pix?.payload as string);
    expect(pix).toMatchObject({ amount: 5324, txid: `GLEVS${String(s?.id).padStart(10, '0')}` });
    expect(receipt?.pix?.qrPngDataUrl).toMatch(/^data:image\/png;base64,/);
    expect(await sessions.list({ pointId: p, state: 'active' }, { kind: 'all' })).toEqual([]);
  });

  it('events missed: the reconcile opens from the point row (total − session) and ends and prices it', async () => {
    const p = points[1] as number;
    clock.set(T0 + 200 * MIN);
    // The point went charging 10 min ago with 1,200 Wh delivered; no event reached sessions.
    await sql`UPDATE ev_points SET state = 'charging', state_at = ${at(190).toISOString()}::timestamptz,
      energy_total_wh = 501200, session_energy_wh = 1200 WHERE id = ${p}`.execute(database.db);
    await sessions.reconcile();
    const [open] = await sessions.list({ pointId: p }, { kind: 'all' });
    expect(open).toMatchObject({ state: 'active', energyWh: 1_200 });
    await sql`UPDATE ev_points SET state = 'available', state_at = ${at(230).toISOString()}::timestamptz,
      energy_total_wh = 510000, session_energy_wh = 10000 WHERE id = ${p}`.execute(database.db);
    await sessions.reconcile();
    const ended = await sessions.get(open?.id as number, { kind: 'all' });
    // 10,000 Wh from 500,000 to 510,000 × 1.95 = 19.50; unplugged while charging: no idle
    expect(ended).toMatchObject({ state: 'priced', energyWh: 10_000, totalCentavos: 1950 });
  });

  it('plugged and unplugged without charging: a void session, no price, no receipt', async () => {
    const p = points[1] as number;
    await reading(p, 'preparing', 300, 510_000, 10_000);
    await reading(p, 'available', 305, 510_000, 10_000);
    const [s] = await sessions.list({ pointId: p }, { kind: 'all' });
    expect(s).toMatchObject({ state: 'void', totalCentavos: null, energyWh: 0 });
    const err = await refusal(sessions.receipt(s?.id as number, { kind: 'all' }));
    expect(err.code).toBe('GL_CONFLICT');
  });

  it('remote start by a driver with its own car: start sent to the bound charger; the session that follows is the driver`s alone', async () => {
    const p = points[2] as number;
    clock.set(T0 + 400 * MIN);
    const started = await sessions.start(p, 'abc-1d23', driver(0));
    expect(started).toMatchObject({ pointId: p, plate: 'ABC1D23', driverId: drivers[0] });
    expect(commands.at(-1)).toEqual({
      topic: 'gl/v1/edges/e1/commands',
      body: { id: started.command.id, deviceId: 'charger-3', command: 'start' },
    });
    await reading(p, 'preparing', 401, 2_000_000, 0);
    await reading(p, 'charging', 402, 2_000_000, 0, 7000);
    const [s] = await sessions.list({ pointId: p, state: 'active' }, { kind: 'all' });
    expect(s).toMatchObject({
      plate: 'ABC1D23',
      driverId: drivers[0],
      startedBy: `driver:${drivers[0]}`,
    });
    // The other driver neither sees nor stops it; its owner stops it.
    expect(await sessions.get(s?.id as number, driver(1).scope)).toBeNull();
    expect(await sessions.list({}, driver(1).scope)).toEqual([]);
    expect((await refusal(sessions.stop(p, driver(1)))).code).toBe('GL_CONFLICT');
    const stopped = await sessions.stop(p, driver(0));
    expect(stopped.session.stoppedBy).toBe(`driver:${drivers[0]}`);
    expect(commands.at(-1)?.body).toMatchObject({ deviceId: 'charger-3', command: 'stop' });
    await reading(p, 'finishing', 420, 2_002_000, 2_000);
    await reading(p, 'available', 425, 2_002_000, 2_000);
    const mine = await sessions.list({}, driver(0).scope);
    expect(mine.map((m) => [m.id, m.state, m.energyWh, m.totalCentavos])).toEqual([
      [s?.id, 'priced', 2_000, 390], // 2,000 Wh × 1.95 = 3.90; 5 min idle inside the grace
    ]);
  });

  it('refusals: unbound point, another driver`s car, a point booked for another car; a waiting car is attributed; a session under way', async () => {
    clock.set(T0 + 600 * MIN);
    const sent = commands.length;
    expect((await refusal(sessions.start(points[3] as number, 'ABC1D23', staff))).code).toBe(
      'GL_EV_POINT_UNBOUND',
    );
    expect((await refusal(sessions.start(points[0] as number, 'ABC1D23', driver(1)))).code).toBe(
      'GL_NOT_FOUND',
    );
    expect((await refusal(sessions.start(points[0] as number, 'bad plate!', staff))).code).toBe(
      'GL_VALIDATION',
    );
    await engine.book({
      pointId: points[0] as number,
      plate: 'XYZ9A87',
      start: at(600),
      end: at(660),
    });
    const reserved = await refusal(sessions.start(points[0] as number, 'ABC1D23', staff));
    expect(reserved.code).toBe('GL_EV_POINT_RESERVED');
    expect(commands.length).toBe(sent); // nothing was sent for any refusal
    // A car plugged in and waiting is the one a start names: its session is attributed at once;
    // a second start on a session that is someone's (or charging) is a conflict.
    const p = points[1] as number;
    await reading(p, 'preparing', 601, 510_000, 0);
    await sessions.start(p, 'XYZ9A87', driver(1));
    expect(commands.at(-1)?.body).toMatchObject({ deviceId: 'charger-2', command: 'start' });
    const [waiting] = await sessions.list({ pointId: p, state: 'active' }, driver(1).scope);
    expect(waiting).toMatchObject({
      plate: 'XYZ9A87',
      driverId: drivers[1],
      startedAt: at(601).toISOString(),
    });
    expect((await refusal(sessions.start(p, 'ABC1D23', staff))).code).toBe('GL_CONFLICT');
    await reading(p, 'charging', 602, 510_000, 0);
    expect((await refusal(sessions.start(p, 'ABC1D23', staff))).code).toBe('GL_CONFLICT');
  });

  it('a car plugging in on a point booked for it (no remote start): the session is the booking`s car and driver', async () => {
    const p = points[3] as number;
    clock.set(T0 + 800 * MIN);
    const booking = await engine.book({
      pointId: p,
      plate: 'ABC1D23',
      start: at(805),
      end: at(865),
    });
    // Inside the booking's early-start window (default terms), before its slot.
    await reading(p, 'preparing', 801, 3_000_000, 0);
    await reading(p, 'charging', 806, 3_000_000, 0);
    const [s] = await sessions.list({ pointId: p, state: 'active' }, driver(0).scope);
    expect(s).toMatchObject({
      plate: 'ABC1D23',
      driverId: drivers[0],
      reservationId: booking.id,
      startedBy: 'charger',
    });
  });

  it('energy samples taken while charging price a session split at a time-of-day boundary', async () => {
    // R$ 3.00/kWh from 18:00 local (21:00Z), R$ 1.00 before. Next day: 18:00 local is minute 1980.
    const peak = {
      elements: [
        {
          price_components: [{ type: 'ENERGY', price: '3.00' }],
          restrictions: { start_time: '18:00', end_time: '21:00' },
        },
        { price_components: [{ type: 'ENERGY', price: '1.00' }] },
      ],
    };
    const p = points[2] as number;
    await sql`UPDATE ev_points SET tariff = ${JSON.stringify(peak)}::jsonb WHERE id = ${p}`.execute(
      database.db,
    );
    await reading(p, 'preparing', 1970, 4_000_000, 0);
    await reading(p, 'charging', 1971, 4_000_000, 0);
    await reading(p, 'charging', 1980, 4_001_000, 1_000); // 18:00: a sample (>= 5 min since)
    await reading(p, 'charging', 1990, 4_001_100, 1_100);
    await reading(p, 'finishing', 1991, 4_001_100, 1_100);
    await reading(p, 'available', 1992, 4_001_100, 1_100);
    const [s] = await sessions.list({ pointId: p }, { kind: 'all' });
    // 1,000 Wh before 18:00 × 1.00 + 100 Wh after × 3.00 = 1.00 + 0.30 (spread evenly over the
    // 20 min of charging it would be 495 Wh × 1.00 + 605 Wh × 3.00 = 0.495 + 1.815 = 2.31)
    expect(s).toMatchObject({ state: 'priced', energyWh: 1_100, totalCentavos: 130 });
  });

  it('two centrals deciding the same plug-in at once open one session (one open per point)', async () => {
    const other = await ChargingSessions.start({
      db: database.db,
      events: new EvEvents(),
      control,
      logger: pino({ level: 'silent' }),
      clock,
      config: sessionsConfigSchema.parse({}),
    });
    const p = points[0] as number;
    const r = {
      state: 'preparing' as const,
      at: at(700),
      energyTotalWh: 1_100_000,
      sessionEnergyWh: 0,
      powerW: 0,
    };
    await Promise.all([sessions.apply(p, r), other.apply(p, r), sessions.apply(p, r)]);
    await other.close();
    expect(await sessions.list({ pointId: p, state: 'active' }, { kind: 'all' })).toHaveLength(1);
  });
});
