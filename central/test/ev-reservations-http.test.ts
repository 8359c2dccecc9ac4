import { FakeClock } from '@gridlink/shared';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { EvEvents } from '../src/ev/events.js';
import type { EvRuntime } from '../src/ev/index.js';
import { ReservationEngine, reservationsConfigSchema } from '../src/ev/reservations/index.js';
import { aedesLink } from '../src/mqtt-router/index.js';
import type { Database } from '../src/storage/index.js';
import { seedNetwork, statusBroker } from './ev-reservations-fixture.js';
import { testApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

const T0 = Date.parse('2027-01-04T12:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

describeEachStore('ev reservations HTTP API', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let broker: Awaited<ReturnType<typeof statusBroker>>;
  let engine: ReservationEngine;
  let call: ReturnType<typeof testApi>['call'];
  let point: number;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    database = await store.open();
    const net = await seedNetwork(database, 1);
    point = net.pointIds[0] as number;
    broker = await statusBroker();
    engine = new ReservationEngine({
      db: database.db,
      clock: new FakeClock(T0),
      config: reservationsConfigSchema.parse({}),
      events: new EvEvents(),
      link: aedesLink(broker.aedes),
      logger: pino({ level: 'silent' }),
    });
    // The routes need only the reservations of the EV runtime.
    ({ call } = testApi(database, { ev: { reservations: engine } as unknown as EvRuntime }));
    const db = database.db;
    await sql`INSERT INTO ev_companies (id, name) VALUES ('other', 'Other')`.execute(db);
    tokens.ana = await mintToken(db, { role: 'driver', subject: String(net.drivers[0]) });
    tokens.bob = await mintToken(db, { role: 'driver', subject: String(net.drivers[1]) });
    tokens.feiraOp = await mintToken(db, { role: 'operator', subject: 'feira' });
    tokens.otherOp = await mintToken(db, { role: 'operator', subject: 'other' });
    tokens.customer = await mintToken(db, { role: 'customer', subject: '1' });
  }, 60_000);
  afterAll(async () => {
    await engine?.idle();
    await broker?.close();
    await database?.dispose();
  });

  it('a driver books its own car, reads, confirms and cancels its booking; others see nothing of it', async () => {
    const body = { pointId: point, plate: 'ABC1D23', start: at(60), end: at(120), hold: true };
    const made = await call('POST', '/api/v1/reservations', { token: tokens.ana, body });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      state: 'PENDING',
      plate: 'ABC1D23',
      driverId: expect.any(Number),
    });
    const id = made.body.id;
    // Bob's car on Ana's slot: 409 with the next free slots; Ana's car for Bob: absent.
    const clash = await call('POST', '/api/v1/reservations', {
      token: tokens.bob,
      body: { ...body, plate: 'XYZ9A87', hold: false },
    });
    expect(clash.status).toBe(409);
    expect(clash.body.error).toMatchObject({
      code: 'GL_EV_SLOT_TAKEN',
      details: {
        nextFree: [
          { start: at(120), end: at(180) },
          { start: at(180), end: at(240) },
          { start: at(240), end: at(300) },
        ],
      },
    });
    expect(
      (
        await call('POST', '/api/v1/reservations', {
          token: tokens.bob,
          body: { ...body, start: at(300), end: at(360) },
        })
      ).status,
    ).toBe(404);
    expect((await call('GET', `/api/v1/reservations/${id}`, { token: tokens.bob })).status).toBe(
      404,
    );
    expect(
      (await call('POST', `/api/v1/reservations/${id}/confirm`, { token: tokens.bob })).status,
    ).toBe(404);
    expect(
      (await call('GET', `/api/v1/reservations/${id}`, { token: tokens.otherOp })).status,
    ).toBe(404);
    expect((await call('GET', '/api/v1/reservations', { token: tokens.bob })).body.items).toEqual(
      [],
    );
    expect(
      (await call('GET', '/api/v1/reservations', { token: tokens.otherOp })).body.items,
    ).toEqual([]);
    expect((await call('GET', '/api/v1/reservations', { token: tokens.customer })).status).toBe(
      403,
    );
    // Terms are staff's.
    const terms = await call('POST', '/api/v1/reservations', {
      token: tokens.ana,
      body: { ...body, start: at(400), end: at(460), terms: { noshow_fee: '0' } },
    });
    expect(terms.status).toBe(403);
    // Ana confirms and lists; her company's operator sees it too.
    const ok = await call('POST', `/api/v1/reservations/${id}/confirm`, { token: tokens.ana });
    expect(ok).toMatchObject({ status: 200, body: { state: 'RESERVED' } });
    const again = await call('POST', `/api/v1/reservations/${id}/confirm`, { token: tokens.ana });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('GL_EV_BOOKING_STATE');
    const listed = await call('GET', `/api/v1/reservations?pointId=${point}&state=RESERVED`, {
      token: tokens.ana,
    });
    expect(listed.body.items.map((r: { id: number }) => r.id)).toEqual([id]);
    const ops = await call(
      'GET',
      `/api/v1/reservations?from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(90))}`,
      { token: tokens.feiraOp },
    );
    expect(ops.body.items.map((r: { id: number }) => r.id)).toEqual([id]);
    // A driver's reason list is checked by the schema and the engine.
    const bad = await call('POST', `/api/v1/reservations/${id}/cancel`, {
      token: tokens.ana,
      body: { reason: 'BROKEN_CHARGER' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('GL_VALIDATION');
    const gone = await call('POST', `/api/v1/reservations/${id}/cancel`, {
      token: tokens.ana,
      body: { reason: 'USER' },
    });
    expect(gone.body).toMatchObject({ state: 'CANCELED', fee: null, canceled: { reason: 'USER' } });
  });

  it('free slots of a point, and bad bodies refused with the parameter named', async () => {
    await call('POST', '/api/v1/reservations', {
      token: tokens.feiraOp,
      body: { pointId: point, plate: 'ABC1D23', start: at(0), end: at(90) },
    });
    const free = await call('GET', `/api/v1/points/${point}/free-slots?duration=30&count=2`, {
      token: tokens.bob,
    });
    expect(free).toMatchObject({
      status: 200,
      body: {
        items: [
          { start: at(90), end: at(120) },
          { start: at(120), end: at(150) },
        ],
      },
    });
    const bad = await call('POST', '/api/v1/reservations', {
      token: tokens.feiraOp,
      body: { pointId: point, plate: 'ABC1D23', start: 'tomorrow', end: at(90) },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('start');
    const inverted = await call('POST', '/api/v1/reservations', {
      token: tokens.feiraOp,
      body: { pointId: point, plate: 'ABC1D23', start: at(200), end: at(100) },
    });
    expect(inverted.body.error).toMatchObject({
      code: 'GL_VALIDATION',
      message: 'end: must be after start',
    });
    // An operator of another company books nothing here.
    const foreign = await call('POST', '/api/v1/reservations', {
      token: tokens.otherOp,
      body: { pointId: point, plate: 'ABC1D23', start: at(300), end: at(360) },
    });
    expect(foreign.status).toBe(404);
  });
});
