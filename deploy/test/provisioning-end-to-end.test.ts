import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Central } from '@gridlink/central';
import { type EdgeAgent, type EdgeConfigInput, startEdge } from '@gridlink/edge';
import { createManualClock, TcpJsonMeterDevice, UdpMeterDevice } from '@gridlink/firmware-sim';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson, startCentralWithManualJobs } from './helpers/central-harness.js';

/**
 * Provisioning with real parts (docs/PROVISIONING.md): simulated seed D (UDP datagrams) and seed
 * E (TCP JSON) meters unknown to a real edge → held pending there (buffered in its LevelDB, kept
 * across an edge restart) → listed by the central over HTTP from the edge's MQTT status → bound
 * over HTTP → the desired config carries the binding to the edge → every reading, those buffered
 * while pending included, reaches the central's readings API once, with its exact value and time.
 */
const EDGE = 'edge-prov';
const CPF = '52998224725';
const UDP_KEY = `udp-meter:${CPF}:1`;
const INTERVAL = 60_000;
const silent = pino({ level: 'silent' });

type Reading = { ts: string; values: Record<string, number> };

describe('provisioning push meters end to end', () => {
  let dir: string;
  let central: Central;
  let admin: string;
  let operator: string;
  let secret: string;
  let edge: EdgeAgent;
  let udpPort = 0;
  let tcpPort = 0;
  let ana: number;
  let bia: number;
  // The meters' clock: each advance by an interval is one reading, at a time we know.
  const start = Math.floor(Date.now() / INTERVAL) * INTERVAL - 3 * 3_600_000;
  const clock = createManualClock(start);
  let udpMeter: UdpMeterDevice;
  const tcpMeters: TcpJsonMeterDevice[] = [];
  /** What each meter sent: its time and value (the datagram's / the object's). */
  const sentD: Array<{ ts: number; kwh: number }> = [];
  const sentE: Array<{ ts: number; kwh: number }> = [];

  const api = (method: string, path: string, token = operator, body?: unknown) =>
    requestJson(central.http.url, method, `/api/v1${path}`, token, body);
  const pending = async () =>
    (await api('GET', `/edges/${EDGE}/pending-devices`)).body.items as Array<{
      key: string;
      buffered: number;
      boundAs: string | null;
    }>;
  const edgeConfig = (): EdgeConfigInput => ({
    edgeId: EDGE,
    dataDir: join(dir, 'edge'),
    timeZone: 'America/Bahia',
    statusIntervalMs: 1000,
    mqtt: { url: central.mqttUrl, password: secret },
    udp: { host: '127.0.0.1', port: udpPort, enabled: true },
    tcpJson: { host: '127.0.0.1', port: tcpPort, enabled: true },
  });
  const portOf = (name: string) =>
    (edge.drivers.find((d) => d.name === name) as unknown as { port(): number }).port();
  const readings = async (meterId: number): Promise<Reading[]> => {
    const from = new Date(start).toISOString();
    const to = new Date(start + 86_400_000).toISOString();
    const r = await api('GET', `/meters/${meterId}/readings?from=${from}&to=${to}`, admin);
    expect(r.status).toBe(200);
    return r.body.items;
  };

  /** One seed D datagram: the clock moves one interval, the meter sends, the edge answers. */
  const sendD = async () => {
    clock.advance(INTERVAL);
    udpMeter.advance(clock.now());
    const [, , value, stamp] = String(udpMeter.truth().lastSent).split(',');
    sentD.push({ ts: clock.now(), kwh: Number(value) });
    expect(stamp).toBeDefined();
    await expect.poll(() => udpMeter.truth().acked).toBe(sentD.length);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-provisioning-'));
    ({ central, admin } = await startCentralWithManualJobs(join(dir, 'central'), silent));
    const made = await api('POST', '/tokens', admin, { role: 'operator', label: 'ops' });
    operator = made.body.token;
    secret = (await api('PUT', `/edges/${EDGE}/credential`, admin)).body.secret;
    ana = (await api('POST', '/customers', operator, { document: CPF, name: 'Ana' })).body.id;
    bia = (await api('POST', '/customers', operator, { document: '11144477735', name: 'Bia' })).body
      .id;
    edge = await startEdge(edgeConfig(), { logger: silent });
    udpPort = portOf('udp-meter');
    tcpPort = portOf('tcp-json-meter');
    udpMeter = new UdpMeterDevice({
      deviceId: 'sim-d',
      meterId: '1',
      cpf: CPF,
      target: { host: '127.0.0.1', port: udpPort },
      clock,
      intervalMs: INTERVAL,
      rateKW: 1.5,
      utcOffsetMinutes: -180,
    });
  });

  afterAll(async () => {
    await udpMeter?.close();
    for (const m of tcpMeters) await m.close();
    await edge?.close().catch(() => undefined);
    await central?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('an unknown seed D meter is pending, and stays so with its readings across an edge restart', async () => {
    for (let i = 0; i < 3; i++) await sendD();
    await expect
      .poll(async () => (await pending()).find((p) => p.key === UDP_KEY)?.buffered, {
        timeout: 30_000,
      })
      .toBe(3);
    // Nothing of it has reached the central's readings: it is no meter yet.
    const meters = await api('GET', '/meters', admin);
    expect(meters.body.items).toEqual([]);

    await edge.close();
    edge = await startEdge(edgeConfig(), { logger: silent });
    expect(portOf('udp-meter')).toBe(udpPort);
    for (let i = 0; i < 2; i++) await sendD();
    await expect
      .poll(async () => (await pending()).find((p) => p.key === UDP_KEY)?.buffered, {
        timeout: 30_000,
      })
      .toBe(5);
  });

  it('bound over HTTP: the buffered readings and the later ones arrive once, exact', async () => {
    const bound = await api('POST', `/edges/${EDGE}/pending-devices/${UDP_KEY}/bind`, operator, {
      document: CPF,
    });
    expect(bound.status).toBe(202);
    expect(bound.body).toMatchObject({ deviceId: `d-${CPF}-1`, configVersion: 1 });
    await expect
      .poll(async () => (await api('GET', `/edges/${EDGE}/config`, admin)).body.applied, {
        timeout: 30_000,
      })
      .toMatchObject({ version: 1, ok: true });
    // The edge applied it: the key leaves its pending list, so the central's.
    await expect
      .poll(async () => (await pending()).map((p) => p.key), { timeout: 30_000 })
      .not.toContain(UDP_KEY);
    for (let i = 0; i < 2; i++) await sendD();
    const expected = sentD.map((s) => ({
      ts: new Date(s.ts).toISOString(),
      values: { energy_interval: s.kwh },
    }));
    expect(expected).toHaveLength(7);
    await expect
      .poll(async () => (await readings(bound.body.meterId)).length, { timeout: 30_000 })
      .toBe(7);
    const got = await readings(bound.body.meterId);
    expect(got.map((r) => ({ ts: r.ts, values: r.values }))).toEqual(expected);
    // The meter is Ana's: her meters list it.
    const hers = await api('GET', `/customers/${ana}/meters`, admin);
    expect(hers.body.items.map((m: { id: number }) => m.id)).toEqual([bound.body.meterId]);
  });

  it('a seed E meter asking {"id":0} is pending under a fresh id, bound, and its readings arrive once', async () => {
    const first = new TcpJsonMeterDevice({
      deviceId: 'sim-e',
      target: { host: '127.0.0.1', port: tcpPort },
      clock,
      intervalMs: INTERVAL,
      rateKW: 2,
      initialKWh: 100,
      utcOffsetMinutes: -180,
    });
    tcpMeters.push(first);
    first.advance(clock.now());
    const id = await first.ready();
    const key = `tcp-json-meter:${id}`;
    const sendE = async (m: TcpJsonMeterDevice) => {
      clock.advance(INTERVAL);
      m.advance(clock.now());
      const sent = m.truth().lastSent as { consumption: number };
      sentE.push({ ts: clock.now(), kwh: sent.consumption });
    };
    for (let i = 0; i < 3; i++) await sendE(first);
    await expect
      .poll(async () => (await pending()).find((p) => p.key === key)?.buffered, {
        timeout: 30_000,
      })
      .toBe(3);

    const bound = await api('POST', `/edges/${EDGE}/pending-devices/${key}/bind`, operator, {
      customerId: bia,
    });
    expect(bound.status).toBe(202);
    expect(bound.body).toMatchObject({ deviceId: `e-${id}`, configVersion: 2 });
    await expect
      .poll(async () => (await api('GET', `/edges/${EDGE}/config`, admin)).body.applied, {
        timeout: 30_000,
      })
      .toMatchObject({ version: 2, ok: true });
    await expect
      .poll(async () => (await pending()).map((p) => p.key), { timeout: 30_000 })
      .not.toContain(key);
    // Applying the config restarted the listener, so the meter reconnects; it now knows its id
    // and says it (a meter that said {"id":0} again would be a new, pending one).
    await first.close();
    const again = new TcpJsonMeterDevice({
      deviceId: 'sim-e',
      target: { host: '127.0.0.1', port: tcpPort },
      clock,
      intervalMs: INTERVAL,
      rateKW: 2,
      initialKWh: (first.truth().servedKWh as number) ?? 0,
      utcOffsetMinutes: -180,
      helloId: id,
    });
    tcpMeters.push(again);
    again.advance(clock.now());
    expect(await again.ready()).toBe(id);
    for (let i = 0; i < 2; i++) await sendE(again);
    const expected = sentE.map((s) => ({
      ts: new Date(s.ts).toISOString(),
      values: { energy_import: s.kwh },
    }));
    await expect
      .poll(async () => (await readings(bound.body.meterId)).length, { timeout: 30_000 })
      .toBe(5);
    const got = await readings(bound.body.meterId);
    expect(got.map((r) => ({ ts: r.ts, values: r.values }))).toEqual(expected);
    // Both bindings stand in the newest desired config; the seed D meter's readings are unchanged.
    const config = (await api('GET', `/edges/${EDGE}/config`, admin)).body;
    expect(config.desired.config.provisioned.map((m: { id: string }) => m.id)).toEqual([
      `d-${CPF}-1`,
      `e-${id}`,
    ]);
  });
});
