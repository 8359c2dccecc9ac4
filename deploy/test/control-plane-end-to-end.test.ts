import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Central, mintToken } from '@gridlink/central';
import { type EdgeAgent, startEdge } from '@gridlink/edge';
import { type ChargerDevice, type Fleet, parseScenario, startFleet } from '@gridlink/firmware-sim';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type JobTask,
  requestJson,
  startCentralWithManualJobs,
} from './helpers/central-harness.js';

/**
 * The control plane with real parts: HTTP → the central (stored, published on the embedded
 * broker) → MQTT QoS 1 → a real edge agent → Modbus TCP → the simulator's GridLink charger, and
 * the result back over `commands/result` → the database → HTTP. A desired config goes out
 * retained and its `config/applied` comes back the same way.
 */
const EDGE = 'edge-ctl';
const silent = pino({ level: 'silent' });

describe('control plane end to end', () => {
  let dir: string;
  let central: Central;
  let jobs: Map<string, JobTask>;
  let admin: string;
  let operator: string;
  let customer: string;
  let fleet: Fleet;
  let edge: EdgeAgent;
  let chargerDevice: (unitId: number) => {
    id: string;
    driver: 'modbus-tcp';
    host: string;
    port: number;
    unitId: number;
    profile: string;
    intervalMs: number;
    timeoutMs: number;
  };

  const api = (method: string, path: string, token?: string, body?: unknown) =>
    requestJson(central.http.url, method, `/api/v1${path}`, token, body);
  const charger = () => fleet.devices.get('charger-1') as ChargerDevice;
  const charger2 = () => fleet.devices.get('charger-2') as ChargerDevice;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-control-'));
    ({ central, jobs, admin } = await startCentralWithManualJobs(join(dir, 'central'), silent));
    fleet = await startFleet(
      parseScenario({ seed: 3, chargers: { port: 0, count: 2, currentLimitA: 32 } }),
      { logger: silent },
    );
    const at = fleet.chargers[0] as { host: string; port: number };
    chargerDevice = (unitId) => ({
      id: `charger-${unitId}`,
      driver: 'modbus-tcp' as const,
      host: at.host,
      port: at.port,
      unitId,
      profile: 'gridlink-charger',
      intervalMs: 500,
      timeoutMs: 2000,
    });
    // An operator token made by the admin through the API, as a deployment would.
    const made = await api('POST', '/tokens', admin, { role: 'operator', label: 'ops' });
    expect(made.status).toBe(201);
    operator = made.body.token;
    customer = await mintToken(central.database.db, { role: 'customer', subject: '1' });
    const cred = await api('PUT', `/edges/${EDGE}/credential`, admin);
    expect(cred.status).toBe(200);
    edge = await startEdge(
      {
        edgeId: EDGE,
        dataDir: join(dir, 'edge'),
        mqtt: { url: central.mqttUrl, password: cred.body.secret },
        devices: [chargerDevice(1)],
      },
      { logger: silent },
    );
    await edge.commands.subscribed;
  });

  afterAll(async () => {
    await edge?.close().catch(() => undefined);
    await fleet?.close();
    await central?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a desired config goes out retained, is applied by the edge and shows as applied', async () => {
    const put = await api('PUT', `/edges/${EDGE}/config`, operator, {
      version: 1,
      config: { devices: [chargerDevice(1), chargerDevice(2)] },
    });
    expect(put.status).toBe(200);
    expect(put.body.desired).toMatchObject({ version: 1 });
    expect(put.body.desired.publishedAt).not.toBeNull();
    await expect
      .poll(async () => (await api('GET', `/edges/${EDGE}/config`, admin)).body, {
        timeout: 30_000,
      })
      .toMatchObject({
        desired: { version: 1 },
        applied: { version: 1, ok: true, running: 1, error: null },
        inSync: true,
      });
  });

  it('an operator command reaches the charger over Modbus and its result is read back', async () => {
    expect(charger().connector.currentLimitA).toBe(32);
    const sent = await api('POST', `/edges/${EDGE}/devices/charger-1/commands`, operator, {
      command: 'set_current_limit',
      value: 16,
    });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({
      edgeId: EDGE,
      deviceId: 'charger-1',
      command: 'set_current_limit',
      value: 16,
    });
    expect(['sent', 'succeeded']).toContain(sent.body.state);
    await expect
      .poll(async () => (await api('GET', `/edges/${EDGE}/commands/${sent.body.id}`, admin)).body, {
        timeout: 30_000,
      })
      .toMatchObject({ state: 'succeeded', result: { code: null } });
    const got = (await api('GET', `/edges/${EDGE}/commands/${sent.body.id}`, admin)).body;
    expect(Date.parse(got.result.at)).toBeGreaterThanOrEqual(Date.parse(got.requestedAt));
    expect(got.sentAt).not.toBeNull();
    expect(got.result.edgeAt).not.toBeNull();
    // The simulator's register now holds the limit.
    expect(charger().connector.currentLimitA).toBe(16);

    const list = await api('GET', `/edges/${EDGE}/commands?deviceId=charger-1`, admin);
    expect(list.status).toBe(200);
    expect(list.body.items.map((c: { id: string }) => c.id)).toContain(sent.body.id);
  });

  it('the charger the desired config added takes commands too', async () => {
    expect(charger2().connector.lastCommand).toBe(0);
    const sent = await api('POST', `/edges/${EDGE}/devices/charger-2/commands`, operator, {
      command: 'start',
    });
    expect(sent.status).toBe(202);
    await expect
      .poll(async () => (await api('GET', `/edges/${EDGE}/commands/${sent.body.id}`, admin)).body, {
        timeout: 30_000,
      })
      .toMatchObject({ state: 'succeeded' });
    expect(charger2().connector.lastCommand).toBe(1); // charge_control = start
  });

  it('bad commands are refused with a catalog code before anything is sent', async () => {
    const before = (await api('GET', `/edges/${EDGE}/commands?limit=500`, admin)).body.items.length;
    const cases: Array<[string, unknown, number, string]> = [
      ['/edges/edge-nope/devices/charger-1/commands', { command: 'start' }, 404, 'GL_EDGE_UNKNOWN'],
      [`/edges/${EDGE}/devices/charger-9/commands`, { command: 'start' }, 404, 'GL_DEVICE_UNKNOWN'],
      [
        `/edges/${EDGE}/devices/charger-1/commands`,
        { command: 'explode' },
        400,
        'GL_COMMAND_INVALID',
      ],
      [
        `/edges/${EDGE}/devices/charger-1/commands`,
        { command: 'set_current_limit', value: 40 },
        400,
        'GL_COMMAND_INVALID',
      ],
      [
        `/edges/${EDGE}/devices/charger-1/commands`,
        { command: 'reserve' },
        400,
        'GL_COMMAND_INVALID',
      ],
      [
        `/edges/${EDGE}/devices/charger-1/commands`,
        { command: 'start', value: 3 },
        400,
        'GL_COMMAND_INVALID',
      ],
      [`/edges/${EDGE}/devices/charger-1/commands`, { command: 'Start!' }, 400, 'GL_VALIDATION'],
      [
        `/edges/${EDGE}/devices/charger-1/commands`,
        { command: 'start', extra: 1 },
        400,
        'GL_VALIDATION',
      ],
    ];
    for (const [path, body, status, code] of cases) {
      const r = await api('POST', path, operator, body);
      expect({ path, body, status: r.status, code: r.body.error?.code }).toEqual({
        path,
        body,
        status,
        code,
      });
    }
    const after = (await api('GET', `/edges/${EDGE}/commands?limit=500`, admin)).body.items.length;
    expect(after).toBe(before);
    expect(
      (await api('GET', `/edges/${EDGE}/commands/00000000-0000-4000-8000-000000000000`, admin))
        .status,
    ).toBe(404);
  });

  it('a config the edge refuses shows its reason; a stale version is a 409', async () => {
    const put = await api('PUT', `/edges/${EDGE}/config`, operator, {
      version: 2,
      config: { devices: [{ id: 'broken', driver: 'modbus-tcp', profile: 'gridlink-charger' }] },
    });
    expect(put.status).toBe(200);
    await expect
      .poll(async () => (await api('GET', `/edges/${EDGE}/config`, admin)).body, {
        timeout: 30_000,
      })
      .toMatchObject({
        desired: { version: 2 },
        applied: { version: 2, ok: false, running: 1, error: { code: 'GL_CONFIG_INVALID' } },
        inSync: false,
      });
    const view = (await api('GET', `/edges/${EDGE}/config`, admin)).body;
    expect(view.applied.error.message).toMatch(/devices/);
    // The edge kept running version 1: the central still knows charger-1 from it.

    const stale = await api('PUT', `/edges/${EDGE}/config`, operator, { version: 2, config: {} });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'GL_CONFLICT', details: { desiredVersion: 2 } });
    const local = await api('PUT', `/edges/${EDGE}/config`, operator, {
      version: 3,
      config: { mqtt: { url: 'mqtt://elsewhere' } },
    });
    expect(local.status).toBe(400);
    expect(local.body.error.code).toBe('GL_CONFIG_INVALID');
    expect((await api('GET', `/edges/${EDGE}/config`, admin)).body.desired.version).toBe(2);
  });

  it('a customer may neither send commands nor read or set configs; no token is a 401', async () => {
    const calls: Array<[string, string, unknown?]> = [
      ['POST', `/edges/${EDGE}/devices/charger-1/commands`, { command: 'start' }],
      ['GET', `/edges/${EDGE}/commands`],
      ['GET', `/edges/${EDGE}/config`],
      ['PUT', `/edges/${EDGE}/config`, { version: 9, config: {} }],
    ];
    for (const [method, path, body] of calls) {
      expect((await api(method, path, customer, body)).status, `${method} ${path}`).toBe(403);
      expect((await api(method, path, undefined, body)).status, `${method} ${path}`).toBe(401);
    }
    expect(charger().connector.currentLimitA).toBe(16);
  });

  it('a command with no answer expires on the sweep after the timeout', async () => {
    await edge.close();
    const sent = await api('POST', `/edges/${EDGE}/devices/charger-1/commands`, operator, {
      command: 'stop',
    });
    expect(sent.status).toBe(202);
    // The sweep job as cron fires it (once per minute slot); the timeout is 60 s by default.
    const sweep = jobs.get('control.expire-commands') as JobTask;
    await sweep(new Date(Date.parse(sent.body.requestedAt) + 30_000));
    expect((await api('GET', `/edges/${EDGE}/commands/${sent.body.id}`, admin)).body.state).toBe(
      'sent',
    );
    await sweep(new Date(Date.parse(sent.body.requestedAt) + 90_000));
    expect((await api('GET', `/edges/${EDGE}/commands/${sent.body.id}`, admin)).body).toMatchObject(
      {
        state: 'expired',
        result: null,
      },
    );
  });
});
