import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { upsertEdgeCredential } from '../src/edges/index.js';
import type { PointStateEvent } from '../src/ev/index.js';
import { type Central, startCentral } from '../src/index.js';

/**
 * ev/live on a running central (PGlite, embedded broker, real HTTP): an edge's MQTT client sends
 * its status and charger telemetry over the wire; the point's state, the API and the retained
 * `pontos/{id}/disponibilidade` (read by an operator's MQTT subscriber) follow.
 */
describe('ev/live: charger telemetry -> point state -> API and pontos/{id}/disponibilidade', () => {
  let dataDir: string;
  let central: Central;
  let edge: MqttClient;
  let watcher: MqttClient;
  let admin: string;
  let opA: string;
  let opB: string;
  let driver: string;
  const points = { cp: 0, keba: 0, spare: 0 };
  const events: PointStateEvent[] = [];
  /** Every availability message received, by point id, in order. */
  const seen = new Map<number, Array<{ disponivel: boolean; em_manutencao: boolean }>>();
  let seq = 0;
  const epoch = 'ev-live-epoch-1';
  const EDGE = 'edge-ev';

  const open = () =>
    startCentral(
      {
        dataDir,
        http: { port: 0 },
        mqtt: { mode: 'embedded', port: 0 },
        // The tick only when the test calls it.
        ev: { live: { reconcileMs: 3_600_000 } },
      },
      { logger: pino({ level: process.env.LIVE_DEBUG ? 'debug' : 'silent' }) },
    );

  const http = async (
    method: string,
    path: string,
    token: string,
    body?: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies of many shapes
  ): Promise<{ status: number; body: any }> => {
    const r = await fetch(`${central.http.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: await r.json() };
  };

  const status = (
    devices: Array<{
      id: string;
      online: boolean;
      profile?: string;
      driver?: string;
      kind?: 'meter' | 'charger';
    }>,
  ) =>
    edge.publishAsync(
      `gl/v1/edges/${EDGE}/status`,
      JSON.stringify({
        edgeId: EDGE,
        online: true,
        devices: devices.map((d) => ({
          deviceId: d.id,
          kind: d.kind ?? 'charger',
          ...(d.profile ? { profile: d.profile } : {}),
          ...(d.driver ? { driver: d.driver } : {}),
          online: d.online,
          lastOkAt: d.online ? Date.now() : null,
          consecutiveFailures: d.online ? 0 : 3,
          polls: 1,
          failures: 0,
          overruns: 0,
          lastError: null,
        })),
      }),
      { qos: 1, retain: true },
    );

  /** One telemetry batch over the wire; resolves when the central has acknowledged it. */
  const send = async (
    readings: Array<{ deviceId: string; ts: number; values: Record<string, number> }>,
  ) => {
    const firstSeq = seq + 1;
    seq += readings.length;
    const acked = new Promise<void>((resolve) => {
      const on = (topic: string, payload: Buffer) => {
        if (topic !== `gl/v1/edges/${EDGE}/ack`) return;
        if ((JSON.parse(payload.toString()) as { upTo: number }).upTo < seq) return;
        edge.off('message', on);
        resolve();
      };
      edge.on('message', on);
    });
    await edge.publishAsync(
      `gl/v1/edges/${EDGE}/telemetry`,
      JSON.stringify({
        edgeId: EDGE,
        epoch,
        firstSeq,
        lastSeq: seq,
        dropped: 0,
        readings: readings.map((r, i) => ({ seq: firstSeq + i, quality: 'good', ...r })),
      }),
      { qos: 1 },
    );
    await acked;
  };

  const live = async (pointId: number) =>
    (await http('GET', `/points/${pointId}/live`, admin)).body;
  const lastSeen = (pointId: number) => seen.get(pointId)?.at(-1);

  const connectEdge = async () => {
    edge = await mqtt.connectAsync(central.mqttUrl, {
      username: EDGE,
      password: await upsertEdgeCredential(central.database.db, EDGE),
      clientId: `edge-${EDGE}:0`,
      reconnectPeriod: 0,
    });
    await edge.subscribeAsync(`gl/v1/edges/${EDGE}/ack`, { qos: 1 });
  };

  /** An operator's MQTT subscriber (credential from the API), as seed A's clients read. */
  const connectWatcher = async () => {
    const cred = await http('PUT', '/mqtt/credentials/operator/ev-watch', admin);
    expect(cred.status).toBe(200);
    const client = await mqtt.connectAsync(central.mqttUrl, {
      username: cred.body.username,
      password: cred.body.secret,
      clientId: cred.body.username,
      reconnectPeriod: 0,
    });
    seen.clear();
    client.on('message', (topic, payload, packet) => {
      const m = /^pontos\/(\d+)\/disponibilidade$/.exec(topic);
      if (!m) return;
      const msg = JSON.parse(payload.toString());
      expect(msg.ponto_id).toBe(Number(m[1]));
      expect(packet.qos).toBe(1);
      const list = seen.get(msg.ponto_id) ?? [];
      list.push({ disponivel: msg.disponivel, em_manutencao: msg.em_manutencao });
      seen.set(msg.ponto_id, list);
    });
    await client.subscribeAsync('pontos/+/disponibilidade', { qos: 1 });
    return client;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gl-ev-live-'));
    central = await open();
    const db = central.database.db;
    await db
      .insertInto('ev_companies')
      .values([
        { id: 'acme', name: 'Acme' },
        { id: 'other', name: 'Other' },
      ])
      .execute();
    const station = await db
      .insertInto('ev_stations')
      .values({
        company_id: 'acme',
        external_id: 's1',
        name: 'Centro',
        latitude: -12.25,
        longitude: -38.96,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const rows = await db
      .insertInto('ev_points')
      .values(
        ['cp', 'keba', 'spare'].map((n) => ({
          station_id: Number(station.id),
          external_id: n,
          name: n,
        })),
      )
      .returning(['id', 'external_id'])
      .execute();
    for (const r of rows) points[r.external_id as keyof typeof points] = Number(r.id);
    admin = await mintToken(db, { role: 'admin' });
    opA = await mintToken(db, { role: 'operator', subject: 'acme' });
    opB = await mintToken(db, { role: 'operator', subject: 'other' });
    driver = await mintToken(db, { role: 'driver', subject: '1' });
    central.ev.events.on('point.state', (e) => events.push(e));
    // Points made behind the module's back (an import): the tick publishes them.
    await central.ev.live.tick();
    await central.ev.live.idle();
    await connectEdge();
    watcher = await connectWatcher();
    await status([
      { id: 'cp-1', online: true, profile: 'gridlink-charger', driver: 'modbus-tcp' },
      { id: 'keba-1', online: true, driver: 'keba-udp' },
      { id: 'm-1', online: true, kind: 'meter', profile: 'eastron-sdm120' },
    ]);
  });

  afterAll(async () => {
    await watcher?.endAsync(true);
    await edge?.endAsync(true);
    await central?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("documents its routes beside the network's /points routes, each with its policy", async () => {
    const doc = (await (await fetch(`${central.http.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { 'x-gridlink-policy'?: unknown }>>;
    };
    const policy = (path: string, method: string) =>
      doc.paths[path]?.[method]?.['x-gridlink-policy'];
    expect(policy('/api/v1/points/{id}', 'get')).toMatchObject({
      resource: 'station',
      action: 'read',
    });
    expect(policy('/api/v1/points/{id}/live', 'get')).toMatchObject({
      resource: 'station',
      action: 'read',
    });
    expect(policy('/api/v1/points/{id}/availability', 'get')).toMatchObject({
      resource: 'station',
      action: 'read',
    });
    for (const [path, method] of [
      ['/api/v1/points/{id}/binding', 'put'],
      ['/api/v1/points/{id}/binding', 'delete'],
      ['/api/v1/points/{id}/maintenance', 'put'],
    ] as const)
      expect(policy(path, method)).toMatchObject({
        resource: 'station',
        action: 'update',
        roles: { admin: 'all', operator: 'all' },
      });
  });

  it('refuses bindings of unknown devices, non-chargers, foreign companies and drivers; nothing changes', async () => {
    await expect
      .poll(
        async () =>
          (
            await central.database.db
              .selectFrom('devices')
              .select('id')
              .where('edge_id', '=', EDGE)
              .execute()
          ).length,
      )
      .toBe(3);
    const unknown = await http('PUT', `/points/${points.cp}/binding`, opA, {
      edgeId: EDGE,
      deviceId: 'nope',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('GL_EV_DEVICE_UNKNOWN');
    const meter = await http('PUT', `/points/${points.cp}/binding`, opA, {
      edgeId: EDGE,
      deviceId: 'm-1',
    });
    expect(meter.status).toBe(400);
    expect(meter.body.error.code).toBe('GL_EV_DEVICE_NOT_CHARGER');
    expect(meter.body.error.message).toMatch(/is a meter, not a charger/);
    const foreign = await http('PUT', `/points/${points.cp}/binding`, opB, {
      edgeId: EDGE,
      deviceId: 'cp-1',
    });
    expect(foreign.status).toBe(404);
    const asDriver = await http('PUT', `/points/${points.cp}/binding`, driver, {
      edgeId: EDGE,
      deviceId: 'cp-1',
    });
    expect(asDriver.status).toBe(403);
    const bad = await http('PUT', `/points/${points.cp}/binding`, opA, { edgeId: EDGE });
    expect(bad.status).toBe(400);
    expect((await live(points.cp)).charger).toBeNull();
  });

  it('binds a charger once: a second point gets GL_EV_DEVICE_BOUND; the point is unknown and not available until the first reading', async () => {
    // Seed A's points had no charger: unbound and unknown reads as available.
    await expect
      .poll(() => lastSeen(points.cp))
      .toEqual({ disponivel: true, em_manutencao: false });
    const ok = await http('PUT', `/points/${points.cp}/binding`, opA, {
      edgeId: EDGE,
      deviceId: 'cp-1',
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      charger: { edgeId: EDGE, deviceId: 'cp-1' },
      state: 'unknown',
      disponivel: false,
    });
    const again = await http('PUT', `/points/${points.cp}/binding`, opA, {
      edgeId: EDGE,
      deviceId: 'cp-1',
    });
    expect(again.status).toBe(200);
    const taken = await http('PUT', `/points/${points.spare}/binding`, admin, {
      edgeId: EDGE,
      deviceId: 'cp-1',
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({
      code: 'GL_EV_DEVICE_BOUND',
      details: { pointId: points.cp },
    });
    expect((await live(points.spare)).charger).toBeNull();
    await expect
      .poll(() => lastSeen(points.cp))
      .toEqual({ disponivel: false, em_manutencao: false });
  });

  it('follows the charger: available, charging with its registers; an older batch never moves it back', async () => {
    const t0 = Date.now() - 60_000;
    await send([
      {
        deviceId: 'cp-1',
        ts: t0,
        values: { status: 0, fault_code: 0, power: 0, session_energy: 0, energy_total: 1234.567 },
      },
    ]);
    await expect.poll(async () => (await live(points.cp)).state).toBe('available');
    await expect
      .poll(() => lastSeen(points.cp))
      .toEqual({ disponivel: true, em_manutencao: false });
    expect((await http('GET', `/points/${points.cp}/availability`, driver)).body).toEqual({
      ponto_id: points.cp,
      disponivel: true,
      em_manutencao: false,
    });

    const before = seen.get(points.cp)?.length ?? 0;
    // Two readings in one batch, a meter's among them: preparing then charging.
    await send([
      {
        deviceId: 'cp-1',
        ts: t0 + 10_000,
        values: { status: 1, power: 0, session_energy: 0, energy_total: 1234.567 },
      },
      { deviceId: 'm-1', ts: t0 + 10_000, values: { energy_import: 5 } },
      {
        deviceId: 'cp-1',
        ts: t0 + 20_000,
        values: { status: 2, power: 7040, session_energy: 1.5, energy_total: 1236.067 },
      },
    ]);
    await expect.poll(async () => (await live(points.cp)).state).toBe('charging');
    const row = await live(points.cp);
    expect(row).toMatchObject({
      powerW: 7040,
      sessionEnergyWh: 1500,
      energyTotalWh: 1236067,
      stateAt: new Date(t0 + 20_000).toISOString(),
    });
    expect(events.filter((e) => e.pointId === points.cp).map((e) => `${e.from}>${e.to}`)).toEqual([
      'unknown>available',
      'available>preparing',
      'preparing>charging',
    ]);
    // An out-of-order batch (older readings, sent after an outage) changes nothing.
    await send([
      {
        deviceId: 'cp-1',
        ts: t0 + 15_000,
        values: { status: 5, fault_code: 9, power: 0, session_energy: 0.2, energy_total: 1234.7 },
      },
    ]);
    await central.ev.live.idle();
    expect(await live(points.cp)).toMatchObject({
      state: 'charging',
      sessionEnergyWh: 1500,
      faultCode: 0,
    });
    // Available -> preparing -> charging: one availability change only (true -> false).
    expect(seen.get(points.cp)?.slice(before)).toEqual([
      { disponivel: false, em_manutencao: false },
    ]);
  });

  it('maps a KEBA station (its own enum and plug bits)', async () => {
    expect(
      (
        await http('PUT', `/points/${points.keba}/binding`, admin, {
          edgeId: EDGE,
          deviceId: 'keba-1',
        })
      ).status,
    ).toBe(200);
    const t0 = Date.now() - 50_000;
    await send([
      {
        deviceId: 'keba-1',
        ts: t0,
        values: { status: 1, plug: 5, session_energy: 0, energy_total: 10 },
      },
    ]);
    await expect.poll(async () => (await live(points.keba)).state).toBe('preparing');
    await send([
      { deviceId: 'keba-1', ts: t0 + 1000, values: { status: 4, plug: 5, fault_code: 7 } },
    ]);
    await expect.poll(async () => (await live(points.keba)).state).toBe('faulted');
    expect((await live(points.keba)).faultCode).toBe(7);
  });

  it('maintenance flips em_manutencao and disponivel whatever the charger says, with who and when', async () => {
    await send([{ deviceId: 'cp-1', ts: Date.now() - 40_000, values: { status: 0, power: 0 } }]);
    await expect
      .poll(() => lastSeen(points.cp))
      .toEqual({ disponivel: true, em_manutencao: false });
    const on = await http('PUT', `/points/${points.cp}/maintenance`, opA, {
      on: true,
      reason: 'cable replaced',
    });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({
      state: 'available',
      disponivel: false,
      maintenance: { on: true, reason: 'cable replaced' },
    });
    expect(on.body.maintenance.by).toMatch(/^operator:/);
    expect(on.body.maintenance.at).not.toBeNull();
    await expect
      .poll(() => lastSeen(points.cp))
      .toEqual({ disponivel: false, em_manutencao: true });
    expect(events.at(-1)).toMatchObject({
      pointId: points.cp,
      from: 'available',
      to: 'available',
      maintenance: true,
    });
    expect((await http('PUT', `/points/${points.cp}/maintenance`, opB, { on: false })).status).toBe(
      404,
    );
    const off = await http('PUT', `/points/${points.cp}/maintenance`, opA, { on: false });
    expect(off.body).toMatchObject({ disponivel: true, maintenance: { on: false, reason: null } });
    await expect
      .poll(() => lastSeen(points.cp))
      .toEqual({ disponivel: true, em_manutencao: false });
  });

  it('a charger the edge reports offline makes its point unknown (not available) until it reads again', async () => {
    await status([
      { id: 'cp-1', online: false, profile: 'gridlink-charger', driver: 'modbus-tcp' },
      { id: 'keba-1', online: true, driver: 'keba-udp' },
      { id: 'm-1', online: true, kind: 'meter' },
    ]);
    await expect
      .poll(async () => {
        await central.ev.live.tick();
        return (await live(points.cp)).state;
      })
      .toBe('unknown');
    await expect
      .poll(() => lastSeen(points.cp))
      .toEqual({ disponivel: false, em_manutencao: false });
    expect((await live(points.keba)).state).toBe('faulted');
    // Back: a reading taken after the report.
    await send([{ deviceId: 'cp-1', ts: Date.now() + 1000, values: { status: 0 } }]);
    await expect.poll(async () => (await live(points.cp)).state).toBe('available');
  });

  it('unbinding makes the point chargerless again (available, as seed A had it)', async () => {
    const r = await http('DELETE', `/points/${points.keba}/binding`, opA);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      charger: null,
      state: 'unknown',
      disponivel: true,
      sessionEnergyWh: null,
    });
    await expect
      .poll(() => lastSeen(points.keba))
      .toEqual({ disponivel: true, em_manutencao: false });
  });

  it("the ingest's after-commit hook gets only what a batch newly stored: none of a redelivery, the new part of one straddling the mark", async () => {
    const told: number[][] = [];
    const off = central.ingest.onCommitted((c) => told.push(c.readings.map((r) => r.seq)));
    try {
      const ts = Date.now() - 5_000;
      const reading = (s: number, deviceId = 'cp-1') => ({
        seq: s,
        deviceId,
        ts: ts + s,
        quality: 'good',
        values: { status: 0 },
      });
      const publish = async (firstSeq: number, readings: unknown[]) => {
        const lastSeq = firstSeq + readings.length - 1;
        const acked = new Promise<void>((resolve) => {
          const on = (topic: string, payload: Buffer) => {
            if (topic !== `gl/v1/edges/${EDGE}/ack`) return;
            if ((JSON.parse(payload.toString()) as { upTo: number }).upTo < lastSeq) return;
            edge.off('message', on);
            resolve();
          };
          edge.on('message', on);
        });
        await edge.publishAsync(
          `gl/v1/edges/${EDGE}/telemetry`,
          JSON.stringify({ edgeId: EDGE, epoch, firstSeq, lastSeq, dropped: 0, readings }),
          { qos: 1 },
        );
        await acked;
      };
      const a = seq + 1;
      await publish(a, [reading(a), reading(a + 1, 'm-1')]);
      await publish(a, [reading(a), reading(a + 1, 'm-1')]); // redelivered: a duplicate
      await publish(a + 1, [reading(a + 1, 'm-1'), reading(a + 2), reading(a + 3)]); // straddles
      seq = a + 3;
      // The meter's readings are never handed over; the duplicate tells nothing.
      expect(told).toEqual([[a], [a + 2, a + 3]]);
    } finally {
      off();
    }
  });

  it('a restarted central republishes every point retained (a fresh broker holds none)', async () => {
    await watcher.endAsync(true);
    await edge.endAsync(true);
    await central.close();
    central = await open();
    watcher = await connectWatcher();
    await connectEdge();
    await expect
      .poll(() => [...seen.keys()].sort((a, b) => a - b))
      .toEqual([points.cp, points.keba, points.spare].sort((a, b) => a - b));
    expect(lastSeen(points.cp)).toEqual({ disponivel: true, em_manutencao: false });
    expect(lastSeen(points.spare)).toEqual({ disponivel: true, em_manutencao: false });
  });
});
