import { FakeClock, type GridlinkError } from '@gridlink/shared';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EvEvents, type PointStateEvent } from '../src/ev/events.js';
import {
  type ReservationActor,
  ReservationEngine,
  reservationsConfigSchema,
  transitionsOf,
} from '../src/ev/reservations/index.js';
import { aedesLink } from '../src/mqtt-router/index.js';
import type { Database, EvPointState } from '../src/storage/index.js';
import { seedNetwork, statusBroker } from './ev-reservations-fixture.js';
import { describeEachStore } from './helpers/stores.js';

const T0 = Date.parse('2027-01-04T12:00:00Z');
const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN);

async function refusal(p: Promise<unknown>): Promise<GridlinkError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!err) throw new Error('expected a refusal');
  return err as GridlinkError;
}

describeEachStore('ev reservations engine', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let broker: Awaited<ReturnType<typeof statusBroker>>;
  let engine: ReservationEngine;
  let clock: FakeClock;
  let events: EvEvents;
  let p1: number;
  let p2: number;
  let ana: ReservationActor;
  let bob: ReservationActor;
  const op: ReservationActor = { kind: 'operator', companyId: null, label: 'operator:t1' };
  const emitted: Array<{ id: number; to: string; reason: string | null }> = [];

  /** What the live module does: the point's row changes, then `point.state` after commit. */
  async function pointGoes(pointId: number, to: EvPointState, maintenance = false) {
    const before = await sql<{
      state: EvPointState;
    }>`SELECT state FROM ev_points WHERE id = ${pointId}`.execute(database.db);
    await sql`UPDATE ev_points SET state = ${to}, maintenance = ${maintenance},
      state_at = ${new Date(clock.now()).toISOString()}::timestamptz WHERE id = ${pointId}`.execute(
      database.db,
    );
    const e: PointStateEvent = {
      pointId,
      stationId: 1,
      companyId: 'feira',
      from: before.rows[0]?.state ?? 'unknown',
      to,
      at: new Date(clock.now()),
      faultCode: to === 'faulted' ? 7 : null,
      maintenance,
      sessionEnergyWh: null,
      energyTotalWh: null,
      powerW: null,
    };
    events.emit('point.state', e);
    await engine.idle();
  }

  beforeAll(async () => {
    database = await store.open();
    const net = await seedNetwork(database, 2);
    [p1, p2] = net.pointIds as [number, number];
    ana = { kind: 'driver', driverId: net.drivers[0] as number, label: `driver:${net.drivers[0]}` };
    bob = { kind: 'driver', driverId: net.drivers[1] as number, label: `driver:${net.drivers[1]}` };
    broker = await statusBroker();
    clock = new FakeClock(T0);
    events = new EvEvents();
    events.on('reservation.status', (e) =>
      emitted.push({ id: e.reservationId, to: e.to, reason: e.reason }),
    );
    engine = new ReservationEngine({
      db: database.db,
      clock,
      config: reservationsConfigSchema.parse({ faultGraceMinutes: 60 }),
      events,
      link: aedesLink(broker.aedes),
      logger: pino({ level: 'silent' }),
    });
    events.on('point.state', engine.onPointState);
  }, 60_000);
  afterAll(async () => {
    await engine?.idle();
    await broker?.close();
    await database?.dispose();
  });

  it('books a slot; an overlapping one is refused with GL_EV_SLOT_TAKEN and the next free slots; back to back is fine', async () => {
    const a = await engine.book(
      { pointId: p1, plate: 'abc-1d23', start: at(60), end: at(120) },
      ana,
    );
    expect(a).toMatchObject({ state: 'RESERVED', plate: 'ABC1D23', pointId: p1, fee: null });
    const err = await refusal(
      engine.book({ pointId: p1, plate: 'XYZ9A87', start: at(90), end: at(150) }, bob),
    );
    expect(err.code).toBe('GL_EV_SLOT_TAKEN');
    expect(err.status).toBe(409);
    // The next free slots of the same length from the asked start on: 14:00, 15:00, 16:00.
    expect((err.details as { nextFree: unknown }).nextFree).toEqual([
      { start: at(120).toISOString(), end: at(180).toISOString() },
      { start: at(180).toISOString(), end: at(240).toISOString() },
      { start: at(240).toISOString(), end: at(300).toISOString() },
    ]);
    const b = await engine.book(
      { pointId: p1, plate: 'XYZ9A87', start: at(120), end: at(180) },
      bob,
    );
    expect(b.state).toBe('RESERVED');
    expect(await engine.isFreeAt(p1, at(60), at(61))).toBe(false);
    expect(await engine.isFreeAt(p1, at(180), at(240))).toBe(true);
    // Nothing stored for the refusal.
    const count = await sql<{
      n: string | number;
    }>`SELECT count(*) AS n FROM ev_reservations`.execute(database.db);
    expect(Number(count.rows[0]?.n)).toBe(2);
    // Cleanup for the next tests: the operator cancels both.
    await engine.cancel(a.id, 'OPERATOR', op);
    await engine.cancel(b.id, 'OPERATOR', op);
  });

  it('refuses bad input with precise messages, and stores nothing', async () => {
    const cases: Array<[Parameters<ReservationEngine['book']>[0], string, string]> = [
      [
        { pointId: p1, plate: 'ABC1D23', start: at(60), end: at(60) },
        'GL_VALIDATION',
        'end: must be after start',
      ],
      [
        { pointId: p1, plate: 'ABC1D23', start: at(60), end: at(65) },
        'GL_VALIDATION',
        'end: a slot lasts at least 15 minutes',
      ],
      [
        { pointId: p1, plate: 'ABC1D23', start: at(60), end: at(60 + 241) },
        'GL_VALIDATION',
        'end: a slot lasts at most 240 minutes',
      ],
      [
        { pointId: p1, plate: 'ABC1D23', start: at(-10), end: at(30) },
        'GL_VALIDATION',
        'start: in the past',
      ],
      [
        { pointId: p1, plate: 'ABC1D23', start: at(31 * 1440), end: at(31 * 1440 + 60) },
        'GL_VALIDATION',
        'end: more than 30 days ahead',
      ],
      [
        { pointId: p1, plate: 'NOPE', start: at(60), end: at(120) },
        'GL_VALIDATION',
        'plate: not a plate (ABC1234 or ABC1D23)',
      ],
      [
        {
          pointId: p1,
          plate: 'ABC1D23',
          start: at(60),
          end: at(120),
          terms: { noshow_timeout: 0 },
        },
        'GL_VALIDATION',
        'terms.noshow_timeout',
      ],
      [
        { pointId: 999_999, plate: 'ABC1D23', start: at(60), end: at(120) },
        'GL_NOT_FOUND',
        'point 999999 not found',
      ],
    ];
    for (const [req, code, message] of cases) {
      const err = await refusal(engine.book(req, op));
      expect(err.code, message).toBe(code);
      expect(err.message).toContain(message);
    }
    // A driver books only its own cars (another's looks absent).
    const notYours = await refusal(
      engine.book({ pointId: p1, plate: 'XYZ9A87', start: at(60), end: at(120) }, ana),
    );
    expect(notYours.code).toBe('GL_NOT_FOUND');
    // A point in maintenance takes no bookings.
    await sql`UPDATE ev_points SET maintenance = true WHERE id = ${p2}`.execute(database.db);
    const maint = await refusal(
      engine.book({ pointId: p2, plate: 'ABC1D23', start: at(60), end: at(120) }, ana),
    );
    expect(maint.code).toBe('GL_EV_POINT_NOT_BOOKABLE');
    expect(maint.message).toBe(`point ${p2} is in maintenance`);
    await sql`UPDATE ev_points SET maintenance = false WHERE id = ${p2}`.execute(database.db);
    const live = await engine.list({ limit: 100, state: 'RESERVED' });
    expect(live).toEqual([]);
  });

  it('a request id answers the same booking twice; reused for another slot it is a GL_CONFLICT', async () => {
    const req = { pointId: p2, plate: 'ABC1D23', start: at(300), end: at(360), requestId: 'r-1' };
    const first = await engine.book(req, ana);
    const again = await engine.book(req, ana);
    expect(again.id).toBe(first.id);
    const other = await refusal(engine.book({ ...req, start: at(400), end: at(460) }, ana));
    expect(other.code).toBe('GL_CONFLICT');
    await engine.cancel(first.id, 'USER', ana);
  });

  it('a held booking confirms before its hold lapses; an unconfirmed one EXPIRES on the monitor and frees its slot', async () => {
    const held = await engine.book(
      { pointId: p1, plate: 'ABC1D23', start: at(600), end: at(660), hold: true },
      ana,
    );
    expect(held.state).toBe('PENDING');
    expect(held.holdExpiresAt).toBe(at(10).toISOString());
    const ok = await engine.confirm(held.id, ana);
    expect(ok).toMatchObject({ state: 'RESERVED', holdExpiresAt: null });

    const lapsing = await engine.book(
      { pointId: p1, plate: 'ABC1D23', start: at(700), end: at(760), hold: true },
      ana,
    );
    const lapsing2 = await engine.book(
      { pointId: p2, plate: 'ABC1D23', start: at(700), end: at(760), hold: true },
      ana,
    );
    clock.set(T0 + 10 * MIN - 1000);
    await engine.tick();
    expect((await engine.get(lapsing.id))?.state).toBe('PENDING');
    clock.set(T0 + 10 * MIN);
    // A confirm after the lapse, before any tick: refused, and the hold expires there and then.
    const lapsed = await refusal(engine.confirm(lapsing2.id, ana));
    expect(lapsed.details).toEqual({ state: 'EXPIRED', to: 'RESERVED' });
    await engine.tick();
    expect((await engine.get(lapsing.id))?.state).toBe('EXPIRED');
    const late = await refusal(engine.confirm(lapsing.id, ana));
    expect(late.code).toBe('GL_EV_BOOKING_STATE');
    // The slot is free again.
    const taken = await engine.book(
      { pointId: p1, plate: 'XYZ9A87', start: at(700), end: at(760) },
      bob,
    );
    expect(taken.state).toBe('RESERVED');
    // Bob cannot see or cancel Ana's booking.
    expect(await engine.get(held.id, bob)).toBeNull();
    expect((await refusal(engine.cancel(held.id, 'USER', bob))).code).toBe('GL_NOT_FOUND');
    expect(
      (await transitionsOf(database.db, lapsing.id)).map((t) => [t.from, t.to, t.who]),
    ).toEqual([
      [null, 'PENDING', ana.label],
      ['PENDING', 'EXPIRED', 'system:monitor'],
    ]);
    await engine.idle();
    const topic = broker.seen.filter((m) => m.topic === `reservas/${lapsing.id}/status`);
    expect(topic.map((m) => m.body.status)).toEqual(['PENDING', 'EXPIRED']);
    expect(topic[1]?.body).toEqual({
      id: lapsing.id,
      ponto_id: p1,
      placa: 'ABC1D23',
      status: 'EXPIRED',
      motivo: null,
      inicio: at(700).toISOString(),
      fim: at(760).toISOString(),
    });
    await engine.cancel(held.id, 'OPERATOR', op);
    await engine.cancel(taken.id, 'OPERATOR', op);
  });

  it('cancel windows: free before cancel_until_minutes, the no-show fee after; drivers give driver reasons only', async () => {
    const now = clock.now() / MIN - T0 / MIN;
    const early = await engine.book(
      { pointId: p2, plate: 'ABC1D23', start: at(now + 31), end: at(now + 91) },
      ana,
    );
    const free = await engine.cancel(early.id, 'TRAFFIC', ana);
    expect(free).toMatchObject({
      state: 'CANCELED',
      fee: null,
      canceled: { reason: 'TRAFFIC', by: ana.label },
    });
    const soon = await engine.book(
      { pointId: p2, plate: 'ABC1D23', start: at(now + 29), end: at(now + 89) },
      ana,
    );
    expect((await refusal(engine.cancel(soon.id, 'BROKEN_CHARGER', ana))).code).toBe(
      'GL_VALIDATION',
    );
    const charged = await engine.cancel(soon.id, 'USER', ana);
    expect(charged).toMatchObject({ state: 'CANCELED', fee: '10.00' });
    const twice = await refusal(engine.cancel(soon.id, 'USER', ana));
    expect(twice.code).toBe('GL_EV_BOOKING_STATE');
    expect(twice.details).toEqual({ state: 'CANCELED', to: 'CANCELED' });
    // Staff cancel free of charge, even late.
    const staff = await engine.book(
      {
        pointId: p2,
        plate: 'ABC1D23',
        start: at(now + 5),
        end: at(now + 65),
        terms: { noshow_fee: '25.50' },
      },
      op,
    );
    expect(staff.terms.noshow_fee).toBe('25.50');
    expect((await engine.cancel(staff.id, 'FULL', op)).fee).toBeNull();
  });

  it('no-show: no start within noshow_timeout after the slot start -> NO_SHOW with the fee', async () => {
    const base = Math.ceil((clock.now() - T0) / MIN) + 60;
    const r = await engine.book(
      { pointId: p1, plate: 'ABC1D23', start: at(base), end: at(base + 60) },
      ana,
    );
    clock.set(T0 + (base + 15) * MIN - 1000);
    await engine.tick();
    expect((await engine.get(r.id))?.state).toBe('RESERVED');
    clock.set(T0 + (base + 15) * MIN);
    await engine.tick();
    expect(await engine.get(r.id)).toMatchObject({ state: 'NO_SHOW', fee: '10.00' });
    expect(emitted.filter((e) => e.id === r.id).map((e) => e.to)).toEqual(['RESERVED', 'NO_SHOW']);
  });

  it('authorizeStart: another car is refused on a reserved point; the booked car starts, charging fulfils, unplugging completes and cuts the period', async () => {
    const base = Math.ceil((clock.now() - T0) / MIN) + 30;
    const r = await engine.book(
      { pointId: p1, plate: 'XYZ9A87', start: at(base), end: at(base + 120) },
      bob,
    );
    // Before the early-start window (10 minutes) anyone may start.
    expect(await engine.authorizeStart(p1, 'ABC1D23', at(base - 11))).toEqual({
      ok: true,
      reservationId: null,
    });
    const refused = await engine.authorizeStart(p1, 'ABC1D23', at(base - 10));
    expect(refused).toMatchObject({ ok: false, code: 'GL_EV_POINT_RESERVED' });
    clock.set(T0 + (base + 5) * MIN);
    expect(await engine.authorizeStart(p1, 'ABC1D23', at(base + 5))).toMatchObject({
      ok: false,
      code: 'GL_EV_POINT_RESERVED',
    });
    expect(await engine.authorizeStart(p1, 'xyz-9a87', at(base + 5))).toEqual({
      ok: true,
      reservationId: r.id,
    });
    await pointGoes(p1, 'charging');
    expect((await engine.get(r.id))?.state).toBe('FULFILLED');
    // Past the no-show timeout nothing changes for a fulfilled booking.
    clock.set(T0 + (base + 50) * MIN);
    await engine.tick();
    expect((await engine.get(r.id))?.state).toBe('FULFILLED');
    await pointGoes(p1, 'available');
    const done = await engine.get(r.id);
    expect(done).toMatchObject({ state: 'COMPLETED', end: at(base + 50).toISOString() });
    // The rest of the slot is free.
    expect(await engine.isFreeAt(p1, at(base + 50), at(base + 120))).toBe(true);
  });

  it('a fault cancels (BROKEN_CHARGER) the bookings within the grace and flags later ones; recovery clears the flags; drivers see it on reservas/{id}/status', async () => {
    const base = Math.ceil((clock.now() - T0) / MIN) + 10;
    const soon = await engine.book(
      { pointId: p2, plate: 'ABC1D23', start: at(base + 20), end: at(base + 80) },
      ana,
    );
    const later = await engine.book(
      { pointId: p2, plate: 'XYZ9A87', start: at(base + 300), end: at(base + 360) },
      bob,
    );
    const otherPoint = await engine.book(
      { pointId: p1, plate: 'ABC1D23', start: at(base + 20), end: at(base + 80) },
      ana,
    );
    await pointGoes(p2, 'faulted');
    expect(await engine.get(soon.id)).toMatchObject({
      state: 'CANCELED',
      canceled: { reason: 'BROKEN_CHARGER', by: 'system' },
    });
    expect(await engine.get(later.id)).toMatchObject({
      state: 'RESERVED',
      flagged: { reason: 'BROKEN_CHARGER' },
    });
    expect((await engine.get(otherPoint.id))?.flagged).toBeNull();
    // No new bookings on a faulted point.
    expect(
      (
        await refusal(
          engine.book(
            { pointId: p2, plate: 'ABC1D23', start: at(base + 400), end: at(base + 460) },
            ana,
          ),
        )
      ).code,
    ).toBe('GL_EV_POINT_NOT_BOOKABLE');
    await pointGoes(p2, 'available');
    expect((await engine.get(later.id))?.flagged).toBeNull();
    await engine.idle();
    const soonMsgs = broker.seen.filter((m) => m.topic === `reservas/${soon.id}/status`);
    expect(soonMsgs.at(-1)?.body).toMatchObject({
      status: 'CANCELED',
      motivo: 'BROKEN_CHARGER',
      placa: 'ABC1D23',
    });
    expect(soonMsgs.at(-1)?.retain).toBe(true);
    const laterMsgs = broker.seen.filter((m) => m.topic === `reservas/${later.id}/status`);
    expect(laterMsgs.map((m) => [m.body.status, m.body.motivo])).toEqual([
      ['RESERVED', null],
      ['RESERVED', 'BROKEN_CHARGER'],
      ['RESERVED', null],
    ]);
    // A missed event: the monitor finds a point in maintenance from its row alone.
    await sql`UPDATE ev_points SET maintenance = true WHERE id = ${p1}`.execute(database.db);
    await engine.tick();
    expect(await engine.get(otherPoint.id)).toMatchObject({
      state: 'CANCELED',
      canceled: { reason: 'BROKEN_CHARGER' },
    });
    await sql`UPDATE ev_points SET maintenance = false WHERE id = ${p1}`.execute(database.db);
    await engine.cancel(later.id, 'OPERATOR', op);
  });
});
