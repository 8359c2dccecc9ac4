import { afterEach, describe, expect, it } from 'vitest';
import { type CredentialBroker, startCredentialBroker } from '../../test/helpers/mqtt-broker.js';
import { createManualClock } from '../clock/index.js';
import { startControlServer } from '../control/index.js';
import { CarDevice } from './car-device.js';
import { carModels, fullRangeKm, getCarModel, parseCarModels } from './car-models.js';

const T0 = Date.UTC(2024, 5, 3, 12, 0, 0);
let broker: CredentialBroker | undefined;
const cars: CarDevice[] = [];

afterEach(async () => {
  for (const c of cars.splice(0)) await c.close();
  await broker?.close();
  broker = undefined;
});

describe('car models (embedded from the seed)', () => {
  it('holds the seed’s three models; range = capacity / consumption', () => {
    expect([...carModels().keys()]).toEqual(['Tesla Model 3', 'Nissan Leaf', 'Chevrolet Bolt EV']);
    expect(fullRangeKm(getCarModel('Tesla Model 3'))).toBe(500);
    expect(fullRangeKm(getCarModel('Chevrolet Bolt EV'))).toBe(412.5);
    expect(fullRangeKm(getCarModel('Nissan Leaf'))).toBeCloseTo(235.29, 2);
  });

  it('refuses a bad document naming the key path', () => {
    expect(() =>
      parseCarModels({ models: { X: { brand: 'B', model: 'M', battery_capacity: -1 } } }, 'f'),
    ).toThrow('f.models.X.battery_capacity: must be a number > 0, got -1');
    expect(() => getCarModel('Fusca')).toThrow(/unknown car model "Fusca"/);
  });
});

describe('car as an MQTT client (SEEDS.md A)', () => {
  it('logs in as car@{plate} (the central username form), publishes status and bateria at QoS 1 each interval; driving drains kWh/km', async () => {
    broker = await startCredentialBroker({ 'car@RBA4E21': 'pw-RBA4E21' });
    const log = await broker.monitor('carros/#');
    const clock = createManualClock(T0);
    const car = new CarDevice({
      deviceId: 'car-1',
      plate: 'RBA4E21',
      model: getCarModel('Nissan Leaf'), // 40 kWh, 0.17 kWh/km
      password: 'pw-RBA4E21',
      brokerUrl: broker.url,
      clock,
      intervalMs: 60_000,
      initialSoc: 0.5,
    });
    cars.push(car);
    await car.ready();
    const step = async () => {
      clock.advance(60_000);
      car.advance(clock.now());
      return [await log.next(), await log.next()];
    };

    expect(await step()).toEqual([
      {
        topic: 'carros/RBA4E21/status',
        qos: 1,
        payload: { placa: 'RBA4E21', nivel_bateria: 50, em_carregamento: false },
      },
      {
        topic: 'carros/RBA4E21/bateria',
        qos: 1,
        payload: {
          placa: 'RBA4E21',
          nivel_bateria: 50,
          em_carregamento: false,
          modelo: 'Nissan Leaf',
          capacidade_bateria: 40,
          energia_kwh: 20,
          autonomia_km: 117.6, // 20 / 0.17
          taxa_descarga: 0.17,
          potencia_kw: 0,
          timestamp: '2024-06-03T12:01:00.000Z',
        },
      },
    ]);

    // 60 km/h for one minute: 1 km, 0.17 kWh.
    car.setDriving(60);
    const [status, bateria] = await step();
    expect(status!.payload).toEqual({
      placa: 'RBA4E21',
      nivel_bateria: 49.6,
      em_carregamento: false,
    });
    expect(bateria!.payload).toMatchObject({ energia_kwh: 19.83, autonomia_km: 116.6 });
    expect(car.truth()).toMatchObject({
      distanceKm: expect.closeTo(1, 12),
      drivenKWh: expect.closeTo(0.17, 12),
      batteryKWh: expect.closeTo(19.83, 12),
    });

    // Clock skew shows in the timestamp; no-reply skips the interval.
    car.setFault({ mode: 'clock-skew', offsetMs: -3_600_000 });
    expect((await step())[1]!.payload.timestamp).toBe('2024-06-03T11:03:00.000Z');
    car.setFault({ mode: 'no-reply' });
    clock.advance(60_000);
    car.advance(clock.now());
    car.clearFault();
    const [after] = await step();
    expect(after!.payload.nivel_bateria).toBe(48.3); // four minutes driven: 19.32 kWh
    expect(car.truth()).toMatchObject({ sent: 8, skipped: 1, connects: 1, authFailures: 0 });

    // Driving until empty: the car stops where the battery runs out.
    car.setDriving(144);
    clock.advance(24 * 3_600_000);
    car.advance(clock.now());
    expect(car.truth()).toMatchObject({ batteryKWh: 0, speedKmh: 0, emptied: 1, mode: 'parked' });
    expect(car.truth().distanceKm).toBeCloseTo(4 + 19.32 / 0.17, 9);
    expect(() => car.setDriving(30)).toThrow(/battery empty/);
    expect(() => car.setDriving(145)).toThrow(/speedKmh: must be a number 0..144/);
  });

  it('a car with the wrong password is refused by the broker (CONNACK 4) and counts it', async () => {
    broker = await startCredentialBroker({ 'car@RBA4E21': 'right' });
    const refusal = broker.nextRefusal();
    const car = new CarDevice({
      deviceId: 'car-1',
      plate: 'RBA4E21',
      model: getCarModel('Tesla Model 3'),
      password: 'wrong',
      brokerUrl: broker.url,
      clock: createManualClock(T0),
      initialSoc: 0.9,
      reconnectMs: 60_000,
    });
    cars.push(car);
    const refusedOnCar = car.refused();
    expect(await refusal).toBe('car@RBA4E21');
    await refusedOnCar;
    expect(car.truth()).toMatchObject({ connects: 0, authFailures: 1 });
  });

  it('a refused car connects at once with the password handed over the control API (PUT /devices/{car}/credential)', async () => {
    broker = await startCredentialBroker({ 'car@RBA4E21': 'issued-secret' });
    const car = new CarDevice({
      deviceId: 'car-1',
      plate: 'RBA4E21',
      model: getCarModel('Nissan Leaf'),
      password: 'not-issued-yet',
      brokerUrl: broker.url,
      clock: createManualClock(T0),
      initialSoc: 0.5,
      // No retry of its own within the test: the new password must cause the reconnect.
      reconnectMs: 600_000,
    });
    cars.push(car);
    await car.refused();
    const control = await startControlServer({
      devices: { list: () => [car], get: (id) => (id === 'car-1' ? car : undefined) },
    });
    try {
      const put = (path: string, body: unknown) =>
        fetch(`${control.url}${path}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const bad = await put('/devices/car-1/credential', { password: '' });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('GL_VALIDATION');
      const ok = await put('/devices/car-1/credential', { password: 'issued-secret' });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ deviceId: 'car-1', plate: 'RBA4E21' });
      await car.ready();
      expect(car.truth()).toMatchObject({ connects: 1, authFailures: 1 });
    } finally {
      await control.close();
    }
  });
});
