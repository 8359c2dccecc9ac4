import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Central } from '@gridlink/central';
import type { EdgeAgent } from '@gridlink/edge';
import { type Fleet, parseScenario, startFleet } from '@gridlink/firmware-sim';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { controlJson, requestJson, startCentralWithManualJobs } from './helpers/central-harness.js';
import { insertEvNetwork, type RigCharger, startChargerEdge } from './helpers/ev-charger-rig.js';

/**
 * Live charger state with real parts (docs/EV.md, "Live state"): the simulator's GridLink charger
 * and KEBA P30 (Modbus TCP) → a real edge agent → MQTT → the central's ingest → ev/live → the
 * point in the API and the retained `pontos/{id}/disponibilidade` an operator's MQTT subscriber
 * reads. The charger is driven through the simulator's control API (out of service, connector
 * fault, a vehicle plugged into the KEBA station).
 */
const EDGE = 'edge-live';
const silent = pino({ level: 'silent' });

describe('ev/live end to end: simulator charger → edge → central → API and pontos/…/disponibilidade', () => {
  let dir: string;
  let central: Central;
  let admin: string;
  let fleet: Fleet;
  let edge: EdgeAgent;
  let watcher: MqttClient;
  const points = { gl: 0, keba: 0 };
  /** Availability messages by point id, in arrival order. */
  const seen = new Map<number, Array<{ disponivel: boolean; em_manutencao: boolean }>>();
  const api = (method: string, path: string, token?: string, body?: unknown) =>
    requestJson(central.http.url, method, `/api/v1${path}`, token, body);
  const control = <T>(method: string, path: string, body?: unknown) =>
    controlJson<T>(fleet.control?.url as string, method, path, body);
  const live = async (pointId: number) => (await api('GET', `/points/${pointId}/live`, admin)).body;
  const lastSeen = (pointId: number) => seen.get(pointId)?.at(-1);
  const poll = { timeout: 60_000, interval: 100 };

  const watch = async () => {
    const cred = await api('PUT', '/mqtt/credentials/operator/live-watch', admin);
    expect(cred.status).toBe(200);
    const client = await mqtt.connectAsync(central.mqttUrl, {
      username: cred.body.username,
      password: cred.body.secret,
      clientId: `${cred.body.username}:${seen.size}`,
      reconnectPeriod: 0,
    });
    seen.clear();
    client.on('message', (topic, payload) => {
      const m = /^pontos\/(\d+)\/disponibilidade$/.exec(topic);
      if (!m) return;
      const body = JSON.parse(payload.toString());
      const list = seen.get(Number(m[1])) ?? [];
      list.push({ disponivel: body.disponivel, em_manutencao: body.em_manutencao });
      seen.set(Number(m[1]), list);
    });
    await client.subscribeAsync('pontos/+/disponibilidade', { qos: 1 });
    return client;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-ev-live-'));
    ({ central, admin } = await startCentralWithManualJobs(join(dir, 'central'), silent));
    fleet = await startFleet(
      parseScenario({
        seed: 11,
        chargers: { port: 0, count: 1 },
        kebaChargers: { transport: 'modbus-tcp', port: 0, count: 1 },
        control: { port: 0 },
      }),
      { logger: silent },
    );
    edge = await startChargerEdge({
      central,
      admin,
      edgeId: EDGE,
      dataDir: join(dir, 'edge'),
      statusIntervalMs: 2000,
      chargers: [
        { id: 'charger-1', at: fleet.chargers[0] as RigCharger['at'] },
        {
          id: 'keba-1',
          at: fleet.keba[0] as RigCharger['at'],
          profile: 'keba-p30',
          unitId: 255,
        },
      ],
      intervalMs: 250,
      logger: silent,
    });
    const ids = await insertEvNetwork(central, [
      { externalId: 'gl', name: 'GL' },
      { externalId: 'keba', name: 'KEBA' },
    ]);
    points.gl = ids.gl as number;
    points.keba = ids.keba as number;
    watcher = await watch();
    // The edge's status names both devices as chargers before they can be bound.
    await vi.waitFor(
      async () =>
        expect(
          (await api('GET', `/edges/${EDGE}/devices`, admin)).body.items
            ?.filter((d: { kind: string }) => d.kind === 'charger')
            .map((d: { deviceId: string }) => d.deviceId),
        ).toEqual(['charger-1', 'keba-1']),
      { timeout: 60_000, interval: 200 },
    );
  }, 120_000);

  afterAll(async () => {
    await watcher?.endAsync(true);
    await edge?.close().catch(() => undefined);
    await fleet?.close();
    await central?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('binds the chargers; the GridLink charger reads available and the topic says disponivel', async () => {
    for (const [pointId, deviceId] of [
      [points.gl, 'charger-1'],
      [points.keba, 'keba-1'],
    ] as const) {
      const bound = await api('PUT', `/points/${pointId}/binding`, admin, {
        edgeId: EDGE,
        deviceId,
      });
      expect(bound.status).toBe(200);
    }
    await expect.poll(async () => (await live(points.gl)).state, poll).toBe('available');
    await expect
      .poll(() => lastSeen(points.gl), poll)
      .toEqual({ disponivel: true, em_manutencao: false });
    // KEBA with no vehicle: 1 not ready → available.
    await expect.poll(async () => (await live(points.keba)).state, poll).toBe('available');
    const energy = (await live(points.gl)).energyTotalWh;
    expect(Number.isInteger(energy)).toBe(true);
    expect(energy).toBe(
      Math.round(
        (await control<{ measured: { energyTotalKWh: number } }>('GET', '/devices/charger-1/truth'))
          .measured.energyTotalKWh * 1000,
      ),
    );
  });

  it('out of service and a connector fault in the simulator show in the API and on the topic', async () => {
    await control('PUT', '/devices/charger-1/availability', { available: false });
    await expect.poll(async () => (await live(points.gl)).state, poll).toBe('unavailable');
    await expect
      .poll(() => lastSeen(points.gl), poll)
      .toEqual({ disponivel: false, em_manutencao: false });
    await control('PUT', '/devices/charger-1/availability', { available: true });
    await expect
      .poll(() => lastSeen(points.gl), poll)
      .toEqual({ disponivel: true, em_manutencao: false });

    await control('PUT', '/devices/charger-1/fault', { mode: 'connector-fault', faultCode: 4 });
    await expect.poll(async () => (await live(points.gl)).state, poll).toBe('faulted');
    expect((await live(points.gl)).faultCode).toBe(4);
    await expect
      .poll(() => lastSeen(points.gl), poll)
      .toEqual({ disponivel: false, em_manutencao: false });
    await control('DELETE', '/devices/charger-1/fault');
    await expect.poll(async () => (await live(points.gl)).state, poll).toBe('available');
    await expect
      .poll(() => lastSeen(points.gl), poll)
      .toEqual({ disponivel: true, em_manutencao: false });
  });

  it('a vehicle plugged into the KEBA station charges: state, power and session energy follow', async () => {
    await control('PUT', '/devices/keba-1/vehicle', { plugged: true });
    await expect.poll(async () => (await live(points.keba)).state, poll).toBe('charging');
    await expect
      .poll(async () => (await live(points.keba)).sessionEnergyWh, poll)
      .toBeGreaterThan(0);
    expect((await live(points.keba)).powerW).toBeGreaterThan(0);
    await expect
      .poll(() => lastSeen(points.keba), poll)
      .toEqual({ disponivel: false, em_manutencao: false });
    await control('PUT', '/devices/keba-1/vehicle', { plugged: false });
    await expect.poll(async () => (await live(points.keba)).state, poll).toBe('available');
    await expect
      .poll(() => lastSeen(points.keba), poll)
      .toEqual({ disponivel: true, em_manutencao: false });
  });

  it('maintenance over the API flips em_manutencao while the charger stays available', async () => {
    const on = await api('PUT', `/points/${points.gl}/maintenance`, admin, {
      on: true,
      reason: 'inspection',
    });
    expect(on.status).toBe(200);
    await expect
      .poll(() => lastSeen(points.gl), poll)
      .toEqual({ disponivel: false, em_manutencao: true });
    expect((await live(points.gl)).state).toBe('available');
  });

  it('a restarted central republishes every point, retained, on its fresh broker (an edge gone offline: unknown)', async () => {
    await watcher.endAsync(true);
    await edge.close();
    await central.close();
    ({ central, admin } = await startCentralWithManualJobs(join(dir, 'central'), silent));
    watcher = await watch();
    await expect
      .poll(() => lastSeen(points.gl), poll)
      .toEqual({ disponivel: false, em_manutencao: true });
    // The edge stopped with the central (its status went offline): its chargers' state is not
    // known any more, so the KEBA point is not offered until the edge reads it again.
    expect(lastSeen(points.keba)).toEqual({ disponivel: false, em_manutencao: false });
    expect((await live(points.keba)).state).toBe('unknown');
  });
});
