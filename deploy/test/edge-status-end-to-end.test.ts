import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Central } from '@gridlink/central';
import { type EdgeAgent, startEdge } from '@gridlink/edge';
import { type Fleet, parseScenario, startFleet } from '@gridlink/firmware-sim';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type JobTask,
  requestJson,
  startCentralWithManualJobs,
} from './helpers/central-harness.js';

/**
 * The edge status with real parts: the simulator's SDM630 meter and GridLink charger over Modbus
 * TCP (port 0) → a real edge agent, which also polls a unit id nobody serves → its status and
 * telemetry over MQTT → the central's router → PGlite → what an operator sees over HTTP: the
 * edge online with each device's health and kind, the device-offline alarm of the silent
 * device, the silent-edge alarm of an edge that was registered and never spoke, and the
 * charger's telemetry stored under its device, not as a meter.
 * On main the status of every Modbus edge was refused (GL_PAYLOAD_SCHEMA: camelCase link
 * counters), so `/api/v1/edges` showed `status: null` and no device alarm could fire.
 */
const EDGE = 'edge-status';
const QUIET = 'edge-quiet';
const SILENT_UNIT = 200;
const silent = pino({ level: 'silent' });

describe('edge status end to end', () => {
  let dir: string;
  let central: Central;
  let jobs: Map<string, JobTask>;
  let admin: string;
  let fleet: Fleet;
  let edge: EdgeAgent;

  const api = async (path: string) => {
    const res = await requestJson(central.http.url, 'GET', `/api/v1${path}`, admin);
    expect(res.status, path).toBe(200);
    return res.body;
  };
  const edgeView = async (id: string) =>
    (await api('/edges')).items.find((e: { id: string }) => e.id === id);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-edge-status-'));
    ({ central, jobs, admin } = await startCentralWithManualJobs(join(dir, 'central'), silent));
    fleet = await startFleet(
      parseScenario({
        seed: 11,
        modbusTcp: { port: 0, meters: 1 },
        chargers: { port: 0, count: 1 },
      }),
      { logger: silent },
    );
    const m = fleet.modbusTcp[0] as { host: string; port: number };
    const c = fleet.chargers[0] as { host: string; port: number };
    const meters = { host: m.host, port: m.port };
    const chargers = { host: c.host, port: c.port };
    const poll = { driver: 'modbus-tcp' as const, intervalMs: 200, retries: 0, offlineAfter: 1 };
    // Both edges registered over the API, as an operator would (credential issued).
    const cred = await requestJson(
      central.http.url,
      'PUT',
      `/api/v1/edges/${EDGE}/credential`,
      admin,
    );
    expect(cred.status).toBe(200);
    const quiet = await requestJson(
      central.http.url,
      'PUT',
      `/api/v1/edges/${QUIET}/credential`,
      admin,
    );
    expect(quiet.status).toBe(200);
    edge = await startEdge(
      {
        edgeId: EDGE,
        dataDir: join(dir, 'edge'),
        mqtt: { url: central.mqttUrl, password: cred.body.secret },
        statusIntervalMs: 1000,
        uplink: { maxDelayMs: 20 },
        devices: [
          { ...poll, id: 'meter-1', profile: 'eastron-sdm630', ...meters, unitId: 1 },
          {
            ...poll,
            id: 'meter-gone',
            profile: 'eastron-sdm630',
            ...meters,
            unitId: SILENT_UNIT,
            timeoutMs: 100,
          },
          { ...poll, id: 'charger-1', profile: 'gridlink-charger', ...chargers, unitId: 1 },
        ],
      },
      { logger: silent },
    );
  });

  afterAll(async () => {
    await edge?.close().catch(() => undefined);
    await fleet?.close();
    await central?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('/api/v1/edges shows the status: online, each device with its health and kind, the links', async () => {
    await expect
      .poll(async () => (await edgeView(EDGE)) as unknown, { timeout: 30_000 })
      .toMatchObject({
        status: {
          online: true,
          devices: expect.arrayContaining([
            expect.objectContaining({ deviceId: 'meter-1', online: true, kind: 'meter' }),
            expect.objectContaining({ deviceId: 'charger-1', online: true, kind: 'charger' }),
            // Polled and failed (before its first poll it is offline with no error).
            expect.objectContaining({
              deviceId: 'meter-gone',
              online: false,
              kind: 'meter',
              lastError: expect.stringMatching(/^GL_MODBUS_/),
            }),
          ]),
        },
      });
    const view = (await edgeView(EDGE)) as {
      lastSeenAt: string | null;
      status: {
        agentVersion: string;
        devices: Array<{ deviceId: string; profile?: string }>;
        channels: Array<{ driver: string; counters: Record<string, number> }>;
      };
    };
    expect(view.lastSeenAt).not.toBeNull();
    expect(view.status.agentVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(view.status.devices.find((d) => d.deviceId === 'charger-1')?.profile).toBe(
      'gridlink-charger',
    );
    // The link counters arrive under their snake_case names (what the central refused on main).
    const links = view.status.channels.filter((c) => c.driver === 'modbus-tcp');
    expect(links).toHaveLength(2);
    for (const l of links) expect(l.counters).toHaveProperty('crc_errors');
  });

  it('the silent device raises device.offline, listed in /api/v1/alarms', async () => {
    // The status listing meter-gone offline is in (previous test); one sweep, now.
    await (jobs.get('alarms.sweep') as JobTask)(new Date());
    const alarms = await api('/alarms?type=device.offline');
    expect(alarms.items).toEqual([
      expect.objectContaining({
        type: 'device.offline',
        source: `device:${EDGE}/meter-gone`,
        state: 'ACTIVE_UNACK',
        details: expect.objectContaining({ edgeId: EDGE, deviceId: 'meter-gone' }),
      }),
    ]);
  });

  it('an edge registered and never connected raises the silent-edge alarm once the threshold passes', async () => {
    const view = (await edgeView(QUIET)) as { lastSeenAt: string | null; status: unknown };
    expect(view).toMatchObject({ lastSeenAt: null, status: null });
    const sweep = jobs.get('alarms.sweep') as JobTask;
    // Within the threshold (10 min by default) it is not alarmed yet.
    await sweep(new Date());
    expect((await api(`/alarms?type=edge.offline&source=edge:${QUIET}`)).items).toEqual([]);
    // The sweep that cron fires 11 minutes later (the scheduled instant is the sweep's clock).
    await sweep(new Date(Date.now() + 11 * 60_000));
    expect((await api(`/alarms?type=edge.offline&source=edge:${QUIET}`)).items).toEqual([
      expect.objectContaining({
        source: `edge:${QUIET}`,
        severity: 'MAJOR',
        state: 'ACTIVE_UNACK',
        details: expect.objectContaining({ neverSeen: true, lastSeenAt: null }),
      }),
    ]);
  });

  it("the charger's telemetry is stored under its device, never as a meter; the devices list shows it as a charger", async () => {
    const db = central.database.db;
    const deviceReadings = async () =>
      Number(
        (
          await sql<{ n: number }>`
            SELECT count(*)::int AS n FROM readings r JOIN devices d ON d.id = r.device_ref
            WHERE d.edge_id = ${EDGE} AND d.device_id = 'charger-1' AND r.meter_id IS NULL`.execute(
            db,
          )
        ).rows[0]?.n,
      );
    await expect.poll(deviceReadings, { timeout: 30_000 }).toBeGreaterThan(0);
    // The meter's readings keep flowing as meter rows beside it.
    const meters = (await api('/meters?limit=100')).items as Array<{
      edgeId: string;
      deviceId: string;
    }>;
    const mine = meters.filter((m) => m.edgeId === EDGE).map((m) => m.deviceId);
    expect(mine).toContain('meter-1');
    expect(mine).not.toContain('charger-1');

    const devices = await api(`/edges/${EDGE}/devices`);
    expect(devices.edgeId).toBe(EDGE);
    const of = (id: string) =>
      (devices.items as Array<{ deviceId: string }>).find((d) => d.deviceId === id);
    expect(of('charger-1')).toMatchObject({
      kind: 'charger',
      driver: 'modbus-tcp',
      profile: 'gridlink-charger',
      online: true,
    });
    expect(of('meter-1')).toMatchObject({ kind: 'meter', profile: 'eastron-sdm630', online: true });
    expect(of('meter-gone')).toMatchObject({ kind: 'meter', online: false, lastOkAt: null });

    // Staff only, and an unknown edge is a 404 with its code.
    const { mintToken } = await import('@gridlink/central');
    const customer = await mintToken(db, { role: 'customer', subject: '1' });
    const refused = await requestJson(
      central.http.url,
      'GET',
      `/api/v1/edges/${EDGE}/devices`,
      customer,
    );
    expect(refused.status).toBe(403);
    const unknown = await requestJson(central.http.url, 'GET', '/api/v1/edges/nope/devices', admin);
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'GL_EDGE_UNKNOWN' } } });
  });
});
