import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Central } from '@gridlink/central';
import type { EdgeAgent } from '@gridlink/edge';
import { type ChargerDevice, type Fleet, parseScenario, startFleet } from '@gridlink/firmware-sim';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requestJson, startCentralWithManualJobs } from './helpers/central-harness.js';
import {
  insertEvNetwork,
  type RigCharger,
  signUpDriver,
  startChargerEdge,
} from './helpers/ev-charger-rig.js';

/**
 * Reservations with real parts (docs/EV.md, "Reservations"): a driver books over HTTP; at the
 * slot's start the central's monitor commands the charger through the control plane → MQTT → a
 * real edge → Modbus TCP → the simulator's GridLink charger, which shows `reserved`; another
 * car cannot start; a cancel releases the charger. Then the simulated charger faults: the live
 * module (edge telemetry → point state) tells the reservations, which cancel the booking inside
 * the grace and flag the later one, and a real MQTT subscriber (an operator's notification
 * bridge) sees both on `reservas/{id}/status`; the repair clears the flag.
 */
const EDGE = 'edge-rsv';
const MIN = 60_000;
const silent = pino({ level: 'silent' });

describe('reservations end to end: chargers follow bookings, faults reach the drivers', () => {
  let dir: string;
  let central: Central;
  let admin: string;
  let driver: string;
  let fleet: Fleet;
  let edge: EdgeAgent;
  let pointId: number;
  let subscriber: MqttClient;
  const statuses: Array<{ topic: string; body: Record<string, unknown> }> = [];
  const api = (method: string, path: string, token?: string, body?: unknown) =>
    requestJson(central.http.url, method, `/api/v1${path}`, token, body);
  const charger = () => fleet.devices.get('charger-1') as ChargerDevice;
  const wholeSecond = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-ev-rsv-'));
    ({ central, admin } = await startCentralWithManualJobs(join(dir, 'central'), silent));
    fleet = await startFleet(parseScenario({ seed: 5, chargers: { port: 0, count: 1 } }), {
      logger: silent,
    });
    edge = await startChargerEdge({
      central,
      admin,
      edgeId: EDGE,
      dataDir: join(dir, 'edge'),
      chargers: [{ id: 'charger-1', at: fleet.chargers[0] as RigCharger['at'] }],
      intervalMs: 500,
      logger: silent,
    });
    // The network (imported by helper N's API elsewhere; here three rows) and the binding.
    pointId = (await insertEvNetwork(central, [{ externalId: 'p1', name: 'P1' }])).p1 as number;
    const bound = await api('PUT', `/points/${pointId}/binding`, admin, {
      edgeId: EDGE,
      deviceId: 'charger-1',
    });
    expect(bound.status).toBe(200);
    await vi.waitFor(
      async () =>
        expect((await api('GET', `/points/${pointId}/availability`, admin)).body).toMatchObject({
          ponto_id: pointId,
          disponivel: true,
        }),
      { timeout: 30_000, interval: 100 },
    );
    // A driver and its car, over the API.
    driver = await signUpDriver(
      central,
      admin,
      { document: '529.982.247-25', name: 'Ana', password: 'ana-password-1' },
      '52998224725',
    );
    expect((await api('POST', '/cars', driver, { plate: 'RBA4E21' })).status).toBe(201);
    // The operator's notification bridge: a real MQTT client with an operator credential.
    const op = await api('PUT', '/mqtt/credentials/operator/notify', admin);
    expect(op.status).toBe(200);
    subscriber = await mqtt.connectAsync(central.mqttUrl, {
      username: op.body.username,
      password: op.body.secret,
      clientId: `${op.body.username}:e2e`,
      reconnectPeriod: 0,
    });
    subscriber.on('message', (topic, payload) =>
      statuses.push({ topic, body: JSON.parse(payload.toString()) }),
    );
    await subscriber.subscribeAsync('reservas/+/status', { qos: 1 });
  }, 120_000);

  afterAll(async () => {
    await subscriber?.endAsync(true);
    await edge?.close().catch(() => undefined);
    await fleet?.close();
    await central?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('at the slot start the charger is reserved through the edge; another car is refused; a cancel releases the charger', async () => {
    const now = Date.now();
    const booked = await api('POST', '/reservations', driver, {
      pointId,
      plate: 'RBA4E21',
      start: wholeSecond(now),
      end: wholeSecond(now + 30 * MIN),
    });
    expect(booked.status).toBe(201);
    expect(booked.body).toMatchObject({ state: 'RESERVED', plate: 'RBA4E21', pointId });
    const id = booked.body.id as number;
    // The monitor (1 s) sends `reserve`; the edge writes 40259; the simulator's connector holds.
    await expect.poll(() => charger().status, { timeout: 30_000 }).toBe('reserved');
    expect(charger().truth().measured).toMatchObject({ reservationMinutes: 30 });
    // Read back through the edge: the point's live state follows.
    await expect
      .poll(async () => (await api('GET', `/points/${pointId}/live`, admin)).body.state, {
        timeout: 30_000,
      })
      .toBe('reserved');
    // Another overlapping booking is refused with the next free slot.
    const other = await api('POST', '/reservations', admin, {
      pointId,
      plate: 'XYZ9A87',
      start: wholeSecond(now + 10 * MIN),
      end: wholeSecond(now + 40 * MIN),
    });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('GL_EV_SLOT_TAKEN');
    expect(other.body.error.details.nextFree[0].start).toBe(booked.body.end);
    // A car that is not the booked one cannot start here; the booked one can.
    const engine = central.ev.reservations;
    expect(await engine.authorizeStart(pointId, 'XYZ9A87', new Date())).toMatchObject({
      ok: false,
      code: 'GL_EV_POINT_RESERVED',
    });
    expect(await engine.authorizeStart(pointId, 'RBA4E21', new Date())).toEqual({
      ok: true,
      reservationId: id,
    });
    // The driver cancels late (inside cancel_until_minutes): the fee is owed; the charger frees.
    const canceled = await api('POST', `/reservations/${id}/cancel`, driver, { reason: 'USER' });
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ state: 'CANCELED', fee: '10.00' });
    await expect.poll(() => charger().status, { timeout: 30_000 }).toBe('available');
    await expect
      .poll(
        () => statuses.filter((s) => s.topic === `reservas/${id}/status`).map((s) => s.body.status),
        {
          timeout: 10_000,
        },
      )
      .toEqual(['RESERVED', 'CANCELED']);
  }, 120_000);

  it('a simulated charger faults: the booking inside the grace is cancelled (BROKEN_CHARGER), a later one flagged, and the subscriber sees both; the repair clears the flag', async () => {
    const now = Date.now();
    const soon = await api('POST', '/reservations', driver, {
      pointId,
      plate: 'RBA4E21',
      start: wholeSecond(now + 20 * MIN),
      end: wholeSecond(now + 80 * MIN),
    });
    const later = await api('POST', '/reservations', driver, {
      pointId,
      plate: 'RBA4E21',
      start: wholeSecond(now + 180 * MIN),
      end: wholeSecond(now + 240 * MIN),
    });
    expect([soon.status, later.status]).toEqual([201, 201]);
    charger().setFault({ mode: 'connector-fault', faultCode: 4 });
    await expect
      .poll(
        () => statuses.filter((s) => s.topic === `reservas/${soon.body.id}/status`).at(-1)?.body,
        { timeout: 30_000 },
      )
      .toMatchObject({
        id: soon.body.id,
        ponto_id: pointId,
        placa: 'RBA4E21',
        status: 'CANCELED',
        motivo: 'BROKEN_CHARGER',
        inicio: soon.body.start,
        fim: soon.body.end,
      });
    await expect
      .poll(
        () => statuses.filter((s) => s.topic === `reservas/${later.body.id}/status`).at(-1)?.body,
        { timeout: 30_000 },
      )
      .toMatchObject({ status: 'RESERVED', motivo: 'BROKEN_CHARGER' });
    // What the driver reads over HTTP agrees.
    const got = await api('GET', `/reservations/${later.body.id}`, driver);
    expect(got.body).toMatchObject({ state: 'RESERVED', flagged: { reason: 'BROKEN_CHARGER' } });
    expect((await api('GET', `/reservations/${soon.body.id}`, driver)).body).toMatchObject({
      state: 'CANCELED',
      canceled: { reason: 'BROKEN_CHARGER', by: 'system' },
      fee: null,
    });
    // Repaired: the flag clears and the subscriber is told.
    charger().clearFault();
    await expect
      .poll(
        () => statuses.filter((s) => s.topic === `reservas/${later.body.id}/status`).at(-1)?.body,
        { timeout: 30_000 },
      )
      .toMatchObject({ status: 'RESERVED', motivo: null });
    expect((await api('GET', `/reservations/${later.body.id}`, driver)).body.flagged).toBeNull();
  }, 120_000);
});
