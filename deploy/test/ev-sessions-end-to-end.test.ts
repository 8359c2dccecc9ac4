import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Central,
  decodePix,
  hasValidPixCrc,
  mintToken,
  startCentral,
} from '@gridlink/central';
import type { EdgeAgent } from '@gridlink/edge';
import { type ChargerDevice, type Fleet, parseScenario, startFleet } from '@gridlink/firmware-sim';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { controlJson, requestJson } from './helpers/central-harness.js';
import {
  insertEvNetwork,
  type RigCharger,
  signUpDriver,
  startChargerEdge,
} from './helpers/ev-charger-rig.js';

/**
 * Charging sessions with real parts (docs/EV.md, "Sessions and pricing"): a simulated car is
 * plugged into the simulator's GridLink charger through its control API; the charger is read
 * over Modbus TCP by a real edge, whose telemetry reaches the central over MQTT (ev/live turns
 * it into the point's state). The driver starts the session over HTTP: the start command goes
 * central → MQTT → edge → Modbus write → charger, which charges the car. The car is unplugged:
 * the session ends and is priced, with the energy of the charger's register equal to the
 * simulator's ground truth for that session (whole-Wh registers), and its receipt carries a Pix
 * payload whose CRC checks and whose amount is the total.
 */
const EDGE = 'edge-ses';
const silent = pino({ level: 'silent' });
const PIX = {
  key: '123e4567-e89b-12d3-a456-426614174000',
  merchantName: 'GridLink Recarga',
  merchantCity: 'Feira Santana',
};
// R$ 1.95/kWh (per Wh) and a R$ 1.00 connection fee: a session of seconds still owes something.
const TARIFF = {
  elements: [
    {
      price_components: [
        { type: 'FLAT', price: '1.00' },
        { type: 'ENERGY', price: '1.95', step_size: 1 },
      ],
    },
  ],
};

/** A port nothing listens on: the simulated car's MQTT has nowhere to go (not under test). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('charging sessions end to end: plug-in, remote start, unplug, priced with Pix', () => {
  let dir: string;
  let central: Central;
  let admin: string;
  let driver: string;
  let otherDriver: string;
  let fleet: Fleet;
  let edge: EdgeAgent;
  let pointId: number;
  let plate: string;
  const api = (method: string, path: string, token?: string, body?: unknown) =>
    requestJson(central.http.url, method, `/api/v1${path}`, token, body);
  const sim = (method: string, path: string, body?: unknown) =>
    controlJson<Record<string, unknown>>(fleet.control?.url as string, method, path, body);
  const charger = () => fleet.devices.get('charger-1') as ChargerDevice;

  const signUp = (document: string, name: string) =>
    signUpDriver(central, admin, { document, name, password: `${name}-password-1` });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-ev-ses-'));
    central = await startCentral(
      {
        dataDir: join(dir, 'central'),
        http: { port: 0 },
        mqtt: { mode: 'embedded', port: 0 },
        billing: { pix: PIX },
      },
      { logger: silent },
    );
    admin = await mintToken(central.database.db, { role: 'admin' });
    fleet = await startFleet(
      parseScenario({
        seed: 17,
        control: { port: 0 },
        chargers: { port: 0, count: 1 },
        cars: {
          count: 1,
          broker: { host: '127.0.0.1', port: await deadPort() },
          password: 'unused',
          intervalMs: 60_000,
          batteryPct: 30,
        },
      }),
      { logger: silent },
    );
    edge = await startChargerEdge({
      central,
      admin,
      edgeId: EDGE,
      dataDir: join(dir, 'edge'),
      chargers: [{ id: 'charger-1', at: fleet.chargers[0] as RigCharger['at'] }],
      intervalMs: 500,
      logger: silent,
    });
    // The network (helper N's import elsewhere; three rows here), the point's tariff, the binding.
    pointId = (await insertEvNetwork(central, [{ externalId: 'p1', name: 'P1', tariff: TARIFF }]))
      .p1 as number;
    // expect.poll only runs inside a test: vi.waitFor here.
    await vi.waitFor(
      async () =>
        expect(
          (
            await api('PUT', `/points/${pointId}/binding`, admin, {
              edgeId: EDGE,
              deviceId: 'charger-1',
            })
          ).status,
        ).toBe(200),
      { timeout: 30_000, interval: 200 },
    );
    await vi.waitFor(
      async () =>
        expect((await api('GET', `/points/${pointId}/live`, admin)).body.state).toBe('available'),
      { timeout: 30_000, interval: 200 },
    );
    // The simulated car's plate, registered as a driver's car over the API.
    plate = (fleet.devices.get('car-1')?.truth() as { plate: string } | undefined)?.plate ?? '';
    expect(plate).toMatch(/^[A-Z]{3}\d[A-Z]\d{2}$/);
    driver = await signUp('529.982.247-25', 'ana');
    otherDriver = await signUp('111.444.777-35', 'bia');
    expect((await api('POST', '/cars', driver, { plate })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await edge?.close().catch(() => undefined);
    await fleet?.close();
    await central?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the car plugs in, the driver starts it over HTTP, it charges, unplugs: a priced session with the simulator`s energy and a Pix receipt', async () => {
    // Plug-in through the simulator's control API: the charger goes preparing; read by the edge,
    // the central opens a session on the point.
    const plugged = await sim('PUT', '/devices/car-1/plug', { chargerId: 'charger-1' });
    expect(plugged.status).toBe('preparing');
    await expect
      .poll(async () => (await api('GET', `/sessions?pointId=${pointId}`, admin)).body.items, {
        timeout: 30_000,
      })
      .toMatchObject([{ state: 'active', plate: null, chargingStartedAt: null }]);

    // Another driver cannot start with this car; the owner can.
    const foreign = await api('POST', `/points/${pointId}/start`, otherDriver, { plate });
    expect(foreign.status).toBe(404);
    const started = await api('POST', `/points/${pointId}/start`, driver, { plate });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ pointId, plate });
    // The command crosses MQTT and the edge's Modbus write: the simulator charges the car.
    await expect.poll(() => charger().status, { timeout: 30_000 }).toBe('charging');
    await expect
      .poll(
        async () =>
          (await api('GET', `/sessions?pointId=${pointId}&state=active`, driver)).body.items[0],
        { timeout: 30_000 },
      )
      .toMatchObject({ plate, chargingStartedAt: expect.any(String) });
    // Let some energy flow (as the central sees it), then the driver unplugs the car.
    await expect
      .poll(
        async () => (await api('GET', `/points/${pointId}/live`, admin)).body.sessionEnergyWh ?? 0,
        { timeout: 30_000 },
      )
      .toBeGreaterThanOrEqual(3);
    await sim('DELETE', '/devices/car-1/plug');
    expect(charger().status).toBe('available');
    const truthWh =
      (charger().truth() as { measured: { sessionEnergyKWh: number } }).measured.sessionEnergyKWh *
      1000;

    await expect
      .poll(
        async () => (await api('GET', `/sessions?pointId=${pointId}`, driver)).body.items[0]?.state,
        { timeout: 30_000 },
      )
      .toBe('priced');
    const session = (await api('GET', `/sessions?pointId=${pointId}`, driver)).body.items[0];
    expect(session).toMatchObject({ plate, endReason: 'available', stoppedBy: null });
    // Whole-Wh registers: the lifetime register's difference is within 1 Wh of the truth.
    expect(Math.abs(session.energyWh - truthWh)).toBeLessThan(1);
    // FLAT 1.00 + energy × 1.95 / 1000, rounded once, half to even.
    const expected = 100 + Math.round((session.energyWh * 1.95) / 10);
    expect(Math.abs(session.totalCentavos - expected)).toBeLessThanOrEqual(1);
    expect(session.price.lines.map((l: { dimension: string }) => l.dimension)).toEqual([
      'FLAT',
      'ENERGY',
    ]);

    const receipt = await api('GET', `/sessions/${session.id}/receipt`, driver);
    expect(receipt.status).toBe(200);
    expect(receipt.body).toMatchObject({
      sessionId: session.id,
      totalCentavos: session.totalCentavos,
    });
    const payload = receipt.body.pix.payload as string;
    expect(hasValidPixCrc(payload)).toBe(true);
    expect(decodePix(payload)).toMatchObject({
      amount: session.totalCentavos,
      txid: `GLEVS${String(session.id).padStart(10, '0')}`,
      key: PIX.key,
    });
    expect(receipt.body.pix.qrPngDataUrl).toMatch(/^data:image\/png;base64,/);
    // The printable page: the lines, the total and the same Pix code with its QR.
    const page = await fetch(`${central.http.url}/api/v1/sessions/${session.id}/receipt/html`, {
      headers: { authorization: `Bearer ${driver}` },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const text = await page.text();
    expect(text).toContain(`Total: ${receipt.body.total}`);
    expect(text).toContain(payload);
    expect(text).toContain('<svg');
    // The other driver sees neither the session nor its receipt.
    expect((await api('GET', `/sessions/${session.id}`, otherDriver)).status).toBe(404);
    expect((await api('GET', `/sessions/${session.id}/receipt`, otherDriver)).status).toBe(404);
    expect((await api('GET', '/sessions', otherDriver)).body.items).toEqual([]);
  }, 120_000);
});
