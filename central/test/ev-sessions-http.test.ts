import { FakeClock } from '@gridlink/shared';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { decodePix } from '../src/billing/index.js';
import { ControlPlane } from '../src/control/index.js';
import { EvEvents } from '../src/ev/events.js';
import type { EvRuntime } from '../src/ev/index.js';
import { ReservationEngine, reservationsConfigSchema } from '../src/ev/reservations/index.js';
import { ChargingSessions, sessionsConfigSchema } from '../src/ev/sessions/index.js';
import { aedesLink } from '../src/mqtt-router/index.js';
import type { Database, EvPointState } from '../src/storage/index.js';
import { seedNetwork, statusBroker } from './ev-reservations-fixture.js';
import { testApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

const T0 = Date.parse('2027-01-04T12:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const PIX = {
  key: '123e4567-e89b-12d3-a456-426614174000',
  merchantName: 'GridLink Recarga',
  merchantCity: 'Feira Santana',
};

describeEachStore('ev sessions HTTP API', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let broker: Awaited<ReturnType<typeof statusBroker>>;
  let sessions: ChargingSessions;
  let engine: ReservationEngine;
  let call: ReturnType<typeof testApi>['call'];
  let bound: number;
  let unbound: number;
  let sessionId: number;
  const tokens: Record<string, string> = {};
  const commands: Array<Record<string, unknown>> = [];

  const read = (pointId: number, state: EvPointState, minute: number, totalWh: number) =>
    sessions.apply(pointId, {
      state,
      at: at(minute),
      energyTotalWh: totalWh,
      sessionEnergyWh: null,
      powerW: null,
    });

  beforeAll(async () => {
    database = await store.open();
    const net = await seedNetwork(database, 2);
    [bound, unbound] = net.pointIds as [number, number];
    const db = database.db;
    await sql`INSERT INTO ev_companies (id, name) VALUES ('other', 'Other')`.execute(db);
    await sql`INSERT INTO edges (id, secret_hash, status) VALUES ('e1', 'x', ${JSON.stringify({
      devices: [{ deviceId: 'charger-1', profile: 'gridlink-charger' }],
    })}::jsonb)`.execute(db);
    await sql`UPDATE ev_points SET edge_id = 'e1', device_id = 'charger-1' WHERE id = ${bound}`.execute(
      db,
    );
    broker = await statusBroker();
    await new Promise<void>((resolve) =>
      broker.aedes.subscribe(
        'gl/v1/edges/e1/commands',
        (packet, done) => {
          commands.push(JSON.parse(packet.payload.toString()));
          done();
        },
        resolve,
      ),
    );
    const clock = new FakeClock(T0);
    const logger = pino({ level: 'silent' });
    const link = aedesLink(broker.aedes);
    const events = new EvEvents();
    engine = new ReservationEngine({
      db,
      clock,
      config: reservationsConfigSchema.parse({}),
      events,
      link,
      logger,
    });
    sessions = await ChargingSessions.start({
      db,
      events,
      control: new ControlPlane({ db, link, logger, now: () => new Date(clock.now()) }),
      reservations: engine,
      logger,
      clock,
      config: sessionsConfigSchema.parse({ reconcileSeconds: 3600 }),
      pix: PIX,
    });
    // The routes need only the sessions of the EV runtime.
    ({ call } = testApi(database, { ev: { sessions } as unknown as EvRuntime }));
    tokens.ana = await mintToken(db, { role: 'driver', subject: String(net.drivers[0]) });
    tokens.bob = await mintToken(db, { role: 'driver', subject: String(net.drivers[1]) });
    tokens.feiraOp = await mintToken(db, { role: 'operator', subject: 'feira' });
    tokens.otherOp = await mintToken(db, { role: 'operator', subject: 'other' });
    tokens.admin = await mintToken(db, { role: 'admin' });
    tokens.customer = await mintToken(db, { role: 'customer', subject: '1' });
  }, 60_000);
  afterAll(async () => {
    await sessions?.close();
    await engine?.idle();
    await broker?.close();
    await database?.dispose();
  });

  it('a driver starts with its own car over HTTP; the session and its receipt are its own and its company operator`s', async () => {
    await read(bound, 'preparing', 0, 1_000_000);
    const foreign = await call('POST', `/api/v1/points/${bound}/start`, {
      token: tokens.bob,
      body: { plate: 'ABC1D23' },
    });
    expect(foreign.status).toBe(404);
    const started = await call('POST', `/api/v1/points/${bound}/start`, {
      token: tokens.ana,
      body: { plate: 'abc-1d23' },
    });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ pointId: bound, plate: 'ABC1D23' });
    expect(commands.at(-1)).toMatchObject({ deviceId: 'charger-1', command: 'start' });
    await read(bound, 'charging', 1, 1_000_000);
    const open = await call('GET', `/api/v1/sessions?pointId=${bound}`, { token: tokens.ana });
    sessionId = open.body.items[0].id;
    const early = await call('GET', `/api/v1/sessions/${sessionId}/receipt`, { token: tokens.ana });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('GL_CONFLICT');
    // bob may not stop it; ana may.
    expect((await call('POST', `/api/v1/points/${bound}/stop`, { token: tokens.bob })).status).toBe(
      409,
    );
    const stop = await call('POST', `/api/v1/points/${bound}/stop`, { token: tokens.ana });
    expect(stop.status).toBe(202);
    expect(commands.at(-1)).toMatchObject({ deviceId: 'charger-1', command: 'stop' });
    await read(bound, 'finishing', 31, 1_005_000);
    await read(bound, 'available', 32, 1_005_000);

    const receipt = await call('GET', `/api/v1/sessions/${sessionId}/receipt`, {
      token: tokens.ana,
    });
    expect(receipt.status).toBe(200);
    // Default tariff: 5,000 Wh × 1.95 = 9.75; 1 min idle inside the 10 min grace
    expect(receipt.body).toMatchObject({ totalCentavos: 975, total: 'R$ 9,75', energyWh: 5_000 });
    expect(decodePix(receipt.body.pix.payload)).toMatchObject({ amount: 975 });
    for (const who of ['ana', 'feiraOp', 'admin']) {
      const one = await call('GET', `/api/v1/sessions/${sessionId}`, { token: tokens[who] });
      expect(one.status, who).toBe(200);
      expect(one.body).toMatchObject({
        state: 'priced',
        plate: 'ABC1D23',
        stoppedBy: expect.any(String),
      });
      const list = await call('GET', '/api/v1/sessions', { token: tokens[who] });
      expect(
        list.body.items.map((s: { id: number }) => s.id),
        who,
      ).toEqual([sessionId]);
    }
    for (const who of ['bob', 'otherOp']) {
      expect(
        (await call('GET', `/api/v1/sessions/${sessionId}`, { token: tokens[who] })).status,
        who,
      ).toBe(404);
      expect(
        (await call('GET', `/api/v1/sessions/${sessionId}/receipt`, { token: tokens[who] })).status,
        who,
      ).toBe(404);
      expect(
        (await call('GET', '/api/v1/sessions', { token: tokens[who] })).body.items,
        who,
      ).toEqual([]);
    }
    // Another company's operator cannot start on this company's point.
    const other = await call('POST', `/api/v1/points/${bound}/start`, {
      token: tokens.otherOp,
      body: { plate: 'ABC1D23' },
    });
    expect(other.status).toBe(404);
  });

  it('roles, bad input and refusals: 401, 403, 400 naming the field, 409 with stable codes; nothing sent', async () => {
    const sent = commands.length;
    expect((await call('GET', '/api/v1/sessions')).status).toBe(401);
    expect((await call('GET', '/api/v1/sessions', { token: tokens.customer })).status).toBe(403);
    expect(
      (
        await call('POST', `/api/v1/points/${bound}/start`, {
          token: tokens.customer,
          body: { plate: 'ABC1D23' },
        })
      ).status,
    ).toBe(403);
    for (const body of [{}, { plate: 'ABC1D23', extra: 1 }, { plate: 12 }]) {
      const bad = await call('POST', `/api/v1/points/${bound}/start`, {
        token: tokens.admin,
        body,
      });
      expect(bad.status, JSON.stringify(body)).toBe(400);
    }
    expect((await call('GET', '/api/v1/sessions/abc', { token: tokens.admin })).status).toBe(400);
    const badPlate = await call('POST', `/api/v1/points/${bound}/start`, {
      token: tokens.admin,
      body: { plate: 'no plate!' },
    });
    expect(badPlate.status).toBe(400);
    expect(badPlate.body.error.code).toBe('GL_VALIDATION');
    const noCharger = await call('POST', `/api/v1/points/${unbound}/start`, {
      token: tokens.admin,
      body: { plate: 'ABC1D23' },
    });
    expect(noCharger.status).toBe(409);
    expect(noCharger.body.error.code).toBe('GL_EV_POINT_UNBOUND');
    await engine.book({ pointId: bound, plate: 'XYZ9A87', start: at(0), end: at(120) });
    const reserved = await call('POST', `/api/v1/points/${bound}/start`, {
      token: tokens.ana,
      body: { plate: 'ABC1D23' },
    });
    expect(reserved.status).toBe(409);
    expect(reserved.body.error.code).toBe('GL_EV_POINT_RESERVED');
    const noSession = await call('POST', `/api/v1/points/${bound}/stop`, { token: tokens.admin });
    expect(noSession.status).toBe(409);
    expect((await call('GET', '/api/v1/sessions/999999', { token: tokens.admin })).status).toBe(
      404,
    );
    expect(commands.length).toBe(sent);
  });
});
