import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Central } from '@gridlink/central';
import { CarDevice, createManualClock, getCarModel } from '@gridlink/firmware-sim';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson, startCentralWithManualJobs } from './helpers/central-harness.js';
import { signUpDriver } from './helpers/ev-charger-rig.js';

/**
 * Cars over seed A's MQTT topics with real parts (docs/EV.md, "Cars"): a driver made over HTTP
 * registers its car and takes an MQTT credential from the API; the simulator's car (a real
 * mqtt.js client) logs in with it at the central's embedded broker and publishes
 * `carros/{placa}/status` and `/bateria`; what it sent is what `GET /api/v1/cars/{plate}` and
 * its history show. A car cannot speak for another plate, and hundreds of malformed payloads
 * store nothing while the good car keeps being served.
 */
const PLATE = 'RBA4E21';
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const silent = pino({ level: 'silent' });

describe('cars over MQTT, from the simulated car to the API', () => {
  let dir: string;
  let central: Central;
  let admin: string;
  let driver: string;
  let secret: string;
  let car: CarDevice;
  const raw: MqttClient[] = [];
  const api = (method: string, path: string, token?: string, body?: unknown) =>
    requestJson(central.http.url, method, `/api/v1${path}`, token, body);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-ev-cars-'));
    ({ central, admin } = await startCentralWithManualJobs(join(dir, 'central'), silent));
    driver = await signUpDriver(
      central,
      admin,
      { document: '529.982.247-25', name: 'Ana', password: 'ana-password-1' },
      '52998224725',
    );
    expect(
      (await api('POST', '/cars', driver, { plate: PLATE, model: 'Nissan Leaf' })).status,
    ).toBe(201);
    const credential = await api('POST', `/cars/${PLATE}/mqtt-credential`, driver);
    expect(credential.body).toMatchObject({ username: `car@${PLATE}`, created: true });
    secret = credential.body.secret;
  });
  afterAll(async () => {
    await car?.close();
    await Promise.all(raw.map((c) => c.endAsync(true)));
    await central?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the simulated car connects with the API credential; its status and battery reach the car view and the history', async () => {
    const clock = createManualClock(T0);
    car = new CarDevice({
      deviceId: 'car-1',
      plate: PLATE,
      model: getCarModel('Nissan Leaf'),
      password: secret,
      brokerUrl: central.mqttUrl,
      clock,
      intervalMs: 60_000,
      initialSoc: 0.5,
    });
    await car.ready();
    clock.advance(60_000);
    car.advance(clock.now());
    car.setDriving(60);
    clock.advance(60_000);
    car.advance(clock.now());
    const sent = car.truth().lastStatus as { nivel_bateria: number };
    expect(sent.nivel_bateria).toBe(49.6);
    await expect
      .poll(async () => (await api('GET', `/cars/${PLATE}`, driver)).body.last?.batteryPct)
      .toBe(49.6);
    const view = await api('GET', `/cars/${PLATE}`, driver);
    expect(view.body).toMatchObject({
      plate: PLATE,
      driverId: expect.any(Number),
      last: { charging: false },
    });
    const history = await api(
      'GET',
      `/cars/${PLATE}/states?from=2026-01-15T00:00:00Z&to=2026-01-16T00:00:00Z`,
      driver,
    );
    // Two readings, each on both topics. `bateria` is dated by the car's clock (the simulator's
    // manual one, 2026-01-15), `status` carries no time: it is dated when the central took it.
    expect(history.body.items).toEqual([
      expect.objectContaining({
        at: '2026-01-15T12:01:00.000Z',
        source: 'bateria',
        batteryPct: 50,
        energyKwh: 20,
        rangeKm: 117.6,
      }),
      expect.objectContaining({
        at: '2026-01-15T12:02:00.000Z',
        source: 'bateria',
        batteryPct: 49.6,
        energyKwh: 19.83,
      }),
    ]);
    const recent = await api('GET', `/cars/${PLATE}/states`, driver);
    expect(
      recent.body.items.map((s: { source: string; batteryPct: number }) => [
        s.source,
        s.batteryPct,
      ]),
    ).toEqual([
      ['status', 50],
      ['status', 49.6],
    ]);
  });

  it('a car cannot publish another plate’s topics, and a wrong secret is refused', async () => {
    const other = await mqtt.connectAsync(central.mqttUrl, {
      username: `car@${PLATE}`,
      password: secret,
      clientId: `car@${PLATE}:probe`,
      reconnectPeriod: 0,
    });
    raw.push(other);
    const closed = new Promise<void>((resolve) => other.once('close', () => resolve()));
    // MQTT 3.1.1 has no negative PUBACK: the broker refuses the PUBLISH by closing the connection.
    other.publish(
      'carros/ABC1234/status',
      JSON.stringify({ placa: 'ABC1234', nivel_bateria: 10, em_carregamento: true }),
      { qos: 1 },
    );
    await closed;
    expect((await api('GET', '/cars/ABC1234', admin)).status).toBe(404);
    await expect(
      mqtt.connectAsync(central.mqttUrl, {
        username: `car@${PLATE}`,
        password: 'not-the-secret',
        clientId: `car@${PLATE}:bad`,
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow(/Bad username or password|Not authorized/i);
  });

  it('300 malformed payloads store nothing; the good car keeps being served', async () => {
    const noisy = await mqtt.connectAsync(central.mqttUrl, {
      username: `car@${PLATE}`,
      password: secret,
      clientId: `car@${PLATE}:fuzz`,
      reconnectPeriod: 0,
    });
    raw.push(noisy);
    const before = await api('GET', `/cars/${PLATE}/states`, driver);
    const good = JSON.stringify({ placa: PLATE, nivel_bateria: 42.5, em_carregamento: true });
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const bad: string[] = [
      '',
      'null',
      '[]',
      JSON.stringify({ placa: 'ABC1234', nivel_bateria: 1, em_carregamento: true }),
      JSON.stringify({ placa: PLATE, nivel_bateria: 101, em_carregamento: true }),
      JSON.stringify({ placa: PLATE, nivel_bateria: 1, em_carregamento: 'sim' }),
    ];
    while (bad.length < 300) {
      // Break the good payload where it must hold: cut it, or corrupt one of its values.
      const r = next();
      if (r < 0.5) bad.push(good.slice(0, Math.floor(next() * (good.length - 1))));
      else
        bad.push(
          good.replace(
            '42.5',
            ['"42.5"', '-0.1', '1e3', 'true', 'null'][Math.floor(next() * 5)] as string,
          ),
        );
    }
    for (const [i, payload] of bad.entries())
      await noisy.publishAsync(`carros/${PLATE}/${i % 2 ? 'status' : 'bateria'}`, payload, {
        qos: 1,
      });
    await central.ev.cars.idle();
    const counts = central.ev.cars.counts();
    const rejected = Object.values(counts.rejected).reduce((a, b) => a + (b ?? 0), 0);
    expect(rejected).toBe(300);
    const after = await api('GET', `/cars/${PLATE}/states`, driver);
    expect(after.body.items).toEqual(before.body.items);
    // The good car still reports, through the same broker.
    await noisy.publishAsync(`carros/${PLATE}/status`, good, { qos: 1 });
    await expect
      .poll(async () => (await api('GET', `/cars/${PLATE}`, driver)).body.last)
      .toMatchObject({ batteryPct: 42.5, charging: true });
  });
});
