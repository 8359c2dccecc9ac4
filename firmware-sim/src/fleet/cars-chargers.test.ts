import { afterEach, describe, expect, it } from 'vitest';
import { modbusClients } from '../../test/helpers/modbus-client.js';
import { type CredentialBroker, startCredentialBroker } from '../../test/helpers/mqtt-broker.js';
import type { CarDevice } from '../cars/index.js';
import { createManualClock } from '../clock/index.js';
import { type Fleet, parseScenario, startFleet } from './index.js';

const T0 = Date.UTC(2024, 5, 3, 12, 0, 0);
const clients = modbusClients();
let fleet: Fleet | undefined;
let broker: CredentialBroker | undefined;

afterEach(async () => {
  await clients.closeAll();
  await fleet?.close();
  fleet = undefined;
  await broker?.close();
  broker = undefined;
});

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${fleet!.control!.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('fleet: 2 chargers over Modbus TCP and 3 cars over MQTT', () => {
  it('cars plug into chargers, drive and charge; the control API, Modbus and MQTT agree with the ground truth', async () => {
    // Every car logs in as car@{plate} with password "pw-" + its plate; the broker checks exactly that.
    broker = await startCredentialBroker((user) =>
      user.startsWith('car@') ? `pw-${user.slice(4)}` : undefined,
    );
    const statuses = await broker.monitor('carros/+/status');
    const clock = createManualClock(T0);
    fleet = await startFleet(
      parseScenario({
        seed: 7,
        chargers: { count: 2 },
        cars: {
          count: 3,
          broker: { port: broker.port },
          password: 'pw-{plate}',
          intervalMs: 10_000,
          batteryPct: 50,
        },
        plugs: { 'car-1': 'charger-1' },
        driving: { 'car-3': 90 },
        control: { port: 0 },
      }),
      { clock },
    );
    const cars = ['car-1', 'car-2', 'car-3'].map((id) => fleet!.devices.get(id) as CarDevice);
    await Promise.all(cars.map((c) => c.ready()));
    expect(broker.refused).toEqual([]);
    expect(fleet.chargers).toEqual([{ host: '127.0.0.1', port: expect.any(Number), chargers: 2 }]);
    const modbus = await clients.connect(fleet.chargers[0]!.port, 1);
    const statusOf = async (unit: number) => {
      modbus.setID(unit);
      const r = (await modbus.readInputRegisters(0, 2)).data;
      return { status: r[0], faultCode: r[1] };
    };

    // car-1 (Tesla Model 3, 37.5 kWh) is plugged in by the scenario: preparing until started.
    expect(await statusOf(1)).toEqual({ status: 1, faultCode: 0 });
    modbus.setID(1);
    await modbus.writeRegisters(257, [1]);
    expect(await statusOf(1)).toEqual({ status: 2, faultCode: 0 });

    // charger-1 is taken; car-3 is driving; car-2 plugs into charger-2.
    expect(await api('PUT', '/devices/car-2/plug', { chargerId: 'charger-1' })).toMatchObject({
      status: 409,
      body: { error: { code: 'GL_CONFLICT' } },
    });
    expect(
      (await api('PUT', '/devices/car-3/plug', { chargerId: 'charger-2' })).body,
    ).toMatchObject({
      error: { message: 'car-3 is driving; park it first' },
    });
    expect((await api('PUT', '/devices/car-2/plug', { chargerId: 'nope' })).status).toBe(404);
    expect((await api('PUT', '/devices/car-2/plug', { chargerId: 'car-1' })).body).toMatchObject({
      error: { code: 'GL_VALIDATION', message: 'chargerId: car-1 is a car, not a charger' },
    });
    expect(await api('PUT', '/devices/car-2/plug', { chargerId: 'charger-2' })).toEqual({
      status: 200,
      body: { deviceId: 'car-2', chargerId: 'charger-2', status: 'preparing' },
    });

    // A connector fault on demand, seen over Modbus; clearing it returns to preparing.
    await api('PUT', '/devices/charger-2/fault', { mode: 'connector-fault', faultCode: 4 });
    expect(await statusOf(2)).toEqual({ status: 5, faultCode: 4 });
    await api('DELETE', '/devices/charger-2/fault');
    expect(await statusOf(2)).toEqual({ status: 1, faultCode: 0 });

    // Ten seconds: every car publishes once (at 1/3, 2/3 and 3/3 of its interval).
    clock.advance(10_000);
    fleet.tick();
    const got = [await statuses.next(), await statuses.next(), await statuses.next()];
    const byTopic = Object.fromEntries(got.map((m) => [m.topic, m.payload]));
    const plate = (i: number) => cars[i]!.plate;
    // car-1 charged at 220 V × 32 A from T0 until its publish at 3 333 ms: 37.5 + 0.006517 kWh.
    expect(byTopic[`carros/${plate(0)}/status`]).toEqual({
      placa: plate(0),
      nivel_bateria: 50,
      em_carregamento: true,
    });
    expect(byTopic[`carros/${plate(1)}/status`]).toEqual({
      placa: plate(1),
      nivel_bateria: 50,
      em_carregamento: false,
    });
    // car-3 (Bolt EV, 33 kWh) drove 90 km/h for 10 s: 0.25 km, 0.04 kWh → 49.94 %.
    expect(byTopic[`carros/${plate(2)}/status`]).toEqual({
      placa: plate(2),
      nivel_bateria: 49.9,
      em_carregamento: false,
    });
    expect(await api('PUT', '/devices/car-3/driving', { speedKmh: 0 })).toEqual({
      status: 200,
      body: { deviceId: 'car-3', speedKmh: 0, mode: 'parked' },
    });

    // Ground truth: the charger's session energy is what the car's battery took.
    const res = await fetch(`${fleet.control!.url}/truth`);
    const truth = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const byId = Object.fromEntries(truth.map((t) => [t.deviceId, t]));
    const delivered = (7040 * 10_000) / 3_600_000_000;
    expect(byId['charger-1']).toMatchObject({
      kind: 'charger',
      status: 'charging',
      vehicle: 'car-1',
      sessions: 1,
      measured: { powerW: 7040, sessionEnergyKWh: expect.closeTo(delivered, 12) },
      served: { status: 2, power: 7040, session_energy: 0.019 },
    });
    expect(byId['car-1']).toMatchObject({
      kind: 'car',
      plate: plate(0),
      model: 'Tesla Model 3',
      charger: 'charger-1',
      chargedKWh: expect.closeTo(delivered, 12),
      batteryKWh: expect.closeTo(37.5 + delivered, 12),
      lastStatus: { nivel_bateria: 50, em_carregamento: true },
    });
    expect(byId['car-3']).toMatchObject({
      distanceKm: expect.closeTo(0.25, 12),
      batteryKWh: expect.closeTo(33 - 0.04, 12),
    });
    expect(byId['charger-2']).toMatchObject({ status: 'preparing', vehicle: 'car-2' });

    // Unplugging a charging car ends the session; taking a charger out of service: 6.
    expect((await api('DELETE', '/devices/car-1/plug')).body).toEqual({
      deviceId: 'car-1',
      chargerId: null,
    });
    expect(await statusOf(1)).toEqual({ status: 0, faultCode: 0 });
    expect(
      (await api('PUT', '/devices/charger-1/availability', { available: false })).body,
    ).toEqual({
      deviceId: 'charger-1',
      status: 'unavailable',
    });
    expect(await statusOf(1)).toEqual({ status: 6, faultCode: 0 });
    expect((await api('DELETE', '/devices/car-1/plug')).status).toBe(409);
    expect(fleet.summary()).toMatchObject({ charger: 2, car: 3, charging: 0, faulted: 0 });
  });
});
