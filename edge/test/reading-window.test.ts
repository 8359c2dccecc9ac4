/**
 * Readings are validated where they are born (docs/SECURITY.md, "Readings"): every driver's
 * reading passes the agent's one gate — the shared `checkReading` against the edge config's
 * `readings` window and the edge's clock — before the LevelDB log takes it. Poison from push
 * meters on real UDP and TCP sockets is answered GL_READING_INVALID, never logged, counted per
 * device and reason on /metrics and in the status, logged at most once per device and reason per
 * interval; a good reading right after is logged. Polled drivers (Modbus TCP, KEBA UDP) stamp
 * their readings with the edge's clock: an edge whose clock says 1970 (a Pi booted without its
 * RTC, before NTP) logs none of them.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Reading, systemClock } from '@gridlink/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdge } from '../src/agent/index.js';
import { parseMeterTime } from '../src/drivers/index.js';
import { ModbusTcpPeer } from './helpers/modbus-peer.js';
import {
  capturedLog,
  listenerPort,
  metric,
  spent,
  type TcpMeter,
  tcpMeter,
  udpMeter,
} from './helpers/push-clients.js';

/** The edge's clock: starts at a whole second of real time (the log's age bound reads real time). */
const T0 = Math.floor(Date.now() / 1000) * 1000;
const S0 = T0 / 1000;
/** T0 + s as a zone-less wall clock at UTC (the listeners' offset is 0 here). */
const wall = (s: number) => new Date(T0 + s * 1000).toISOString().slice(0, 19).replace('T', ' ');

async function logged(agent: EdgeAgent): Promise<Reading[]> {
  await agent.flush();
  return agent.log.read(1, 1000);
}

const scrape = async (agent: EdgeAgent) =>
  (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();

describe('meter times: four-digit years are taken literally', () => {
  it('0001-01-01 is year 1, not 1901 (Date.UTC reads years 0-99 as 19xx)', () => {
    expect(parseMeterTime('0001-01-01 00:00:00', 0)).toBe(-62_135_596_800_000);
    expect(new Date(parseMeterTime('0099-12-31 23:59:59', -180)).toISOString()).toBe(
      '0100-01-01T02:59:59.000Z',
    );
    expect(parseMeterTime('1900-03-01 00:00:00', 0)).toBe(Date.UTC(1900, 2, 1));
  });
});

describe('push meters: poison is answered, counted and never logged', () => {
  let now = T0;
  const log = capturedLog();
  let agent: EdgeAgent;
  let udp: Awaited<ReturnType<typeof udpMeter>>;
  let tcp: TcpMeter;

  beforeAll(async () => {
    agent = await startEdge(
      {
        edgeId: 'e-window',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-window-')),
        mqtt: { url: 'mqtt://127.0.0.1:1', password: 's' },
        log: { sync: false },
        // The wall times these meters send are UTC.
        timeZone: 'UTC',
        metrics: { enabled: true, port: 0 },
        readings: { logIntervalSeconds: 60 },
        udp: { port: 0 },
        tcpJson: { port: 0 },
        devices: [
          { id: 'u1', driver: 'udp-meter', meterId: 'MED-1' },
          { id: 'j1', driver: 'tcp-json-meter', meterId: 11 },
        ],
      },
      { logger: pino({ level: 'debug' }, log.stream), clock: { ...systemClock, now: () => now } },
    );
    udp = await udpMeter(listenerPort(agent, 'udp-meter'));
    tcp = await tcpMeter(listenerPort(agent, 'tcp-json-meter'));
  });
  afterAll(async () => {
    tcp?.socket.destroy();
    await udp?.close();
    await agent?.close();
  });

  it('UDP: each poison datagram gets its error reply and a good one right after is logged', async () => {
    const json = (value: string, timestamp: string) =>
      `{"meterId":"MED-1","value":${value},"timestamp":${timestamp}}`;
    const replies: [string, string][] = [];
    for (const datagram of [
      json('1', `${S0 - 60}`), // good
      json('1', '100000000000000000000'), // 1e20 ms: past 9999-12-31
      json('1', '"1969-12-31 23:59:59"'), // before 1970, after a good reading
      `,MED-1,1,${Date.UTC(1999, 11, 31, 23, 59, 59) / 1000}`, // the second before 2000
      json('1', '"9999-12-31 23:59:59"'),
      json('1', `${S0 + 301}`), // 5 min + 1 s past the edge's clock
      json('1e400', `${S0}`), // JSON's 1e400 is Infinity
      `,MED-1,1${'0'.repeat(400)},${S0}`, // a CSV value of 401 digits is Infinity too
      json('"1"', `${S0}`), // a string value: not a datagram at all
      json('NaN', `${S0}`), // not JSON
      json('2', `${S0 + 300}`), // exactly the allowed skew: good
    ])
      replies.push([datagram.slice(0, 60), await udp.ask(datagram)]);

    expect(replies.map(([, r]) => r)).toEqual([
      '200',
      '400 GL_READING_INVALID',
      '400 GL_READING_INVALID',
      '400 GL_READING_INVALID',
      '400 GL_READING_INVALID',
      '400 GL_READING_INVALID',
      '400 GL_READING_INVALID',
      '400 GL_READING_INVALID',
      '400 GL_PAYLOAD_SCHEMA',
      '400 GL_PAYLOAD_INVALID_JSON',
      '200',
    ]);
    const readings = (await logged(agent)).filter((r) => r.deviceId === 'u1');
    expect(readings.map((r) => [r.ts, r.values])).toEqual([
      [T0 - 60_000, { energy_interval: 1 }],
      [T0 + 300_000, { energy_interval: 2 }],
    ]);

    const text = await scrape(agent);
    const rejected = (reason: string) =>
      metric(text, 'gridlink_edge_readings_rejected_total', { device: 'u1', reason });
    expect(rejected('schema')).toBe(2); // 1e20, 1969
    expect(rejected('time_before_window')).toBe(1);
    expect(rejected('time_after_window')).toBe(2); // year 9999, +301 s
    expect(rejected('value_not_finite')).toBe(2);
    expect(
      metric(text, 'gridlink_edge_device_errors_total', {
        device: 'u1',
        code: 'GL_READING_INVALID',
      }),
    ).toBe(7);
    const channel = agent.status().channels.find((c) => c.driver === 'udp-meter');
    expect(channel?.counters).toMatchObject({
      datagrams: 11,
      accepted: 2,
      invalid_readings: 7,
      malformed: 2,
    });
  });

  it('TCP JSON: poison lines get error lines, the connection and the good lines go on', async () => {
    tcp.send('{"id":11}');
    expect(await tcp.next()).toEqual({ id: 11 });
    tcp.send(spent(11, 5, '0001-01-01 00:00:00'));
    tcp.send(spent(11, '1e400', wall(0)));
    tcp.send(spent(11, 5, '9999-12-31 23:59:59'));
    tcp.send(spent(11, 5, wall(-1)));
    // Year 1 is before 1970: not even a wire timestamp.
    expect(await tcp.next()).toMatchObject({
      error: {
        code: 'GL_READING_INVALID',
        message: 'ts: Too small: expected number to be >=0',
        details: { reason: 'schema' },
      },
    });
    expect(await tcp.next()).toMatchObject({
      error: {
        code: 'GL_READING_INVALID',
        message: 'values.energy_import is Infinity',
        details: { reason: 'value_not_finite' },
      },
    });
    expect(await tcp.next()).toMatchObject({
      error: { code: 'GL_READING_INVALID', details: { reason: 'time_after_window' } },
    });

    const readings = (await logged(agent)).filter((r) => r.deviceId === 'j1');
    expect(readings.map((r) => [r.ts, r.values])).toEqual([[T0 - 1000, { energy_import: 5 }]]);
    const text = await scrape(agent);
    for (const [reason, n] of [
      ['schema', 1],
      ['value_not_finite', 1],
      ['time_after_window', 1],
    ] as const)
      expect(metric(text, 'gridlink_edge_readings_rejected_total', { device: 'j1', reason })).toBe(
        n,
      );
    const j1 = agent.status().devices?.find((d) => d.deviceId === 'j1');
    // The last good reading came after the rejections: the device is fine now.
    expect(j1).toMatchObject({ online: true, failures: 3, lastError: null });
    expect(
      agent.status().channels.find((c) => c.driver === 'tcp-json-meter')?.counters,
    ).toMatchObject({ accepted: 1, invalid_readings: 3, malformed: 0 });
  });

  it('a flood is counted in full but logged once per device and reason per interval', async () => {
    const warnings = () =>
      log.lines.filter((l) => l.code === 'GL_READING_INVALID' && l.deviceId === 'u1');
    const before = warnings().length;
    const flood = `{"meterId":"MED-1","value":1,"timestamp":${S0 + 3600}}`;
    for (let i = 0; i < 50; i++) expect(await udp.ask(flood)).toBe('400 GL_READING_INVALID');
    // time_after_window was logged within this interval already (the +301 s datagram).
    expect(warnings().length).toBe(before);
    now += 60_000;
    expect(await udp.ask(flood)).toBe('400 GL_READING_INVALID');
    expect(warnings().slice(before)).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'reading rejected',
        reason: 'time_after_window',
        suppressed: 51,
      }),
    ]);
    const text = await scrape(agent);
    expect(
      metric(text, 'gridlink_edge_readings_rejected_total', {
        device: 'u1',
        reason: 'time_after_window',
      }),
    ).toBe(53);
    const u1 = agent.status().devices?.find((d) => d.deviceId === 'u1');
    expect(u1?.lastError).toMatch(/^GL_READING_INVALID: time_after_window: ts /);
  });
});

/** A KEBA station that answers `report 2` and `report 3` (just what the codec requires). */
async function kebaStation(): Promise<{ port: number; socket: UdpSocket }> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, from) => {
    const text = msg.toString('latin1');
    const report =
      text === 'report 2'
        ? { ID: '2', State: 2, Error1: 0, Error2: 0, Plug: 7, 'Enable sys': 1, 'Enable user': 1 }
        : text === 'report 3'
          ? { ID: '3', U1: 230, U2: 230, U3: 230, I1: 0, I2: 0, I3: 0, P: 0, PF: 0 }
          : undefined;
    if (!report) return;
    const extra =
      report.ID === '2'
        ? { 'Max curr': 16000, 'Curr HW': 32000, 'Curr user': 16000, Setenergy: 0 }
        : { 'E pres': 0, 'E total': 10_000 };
    socket.send(JSON.stringify({ ...report, ...extra }), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, socket };
}

describe('polled drivers: an edge whose clock says 1970 logs nothing', () => {
  const peer = new ModbusTcpPeer();
  let station: Awaited<ReturnType<typeof kebaStation>>;
  let agent: EdgeAgent;
  /** A running clock that booted at 1970-01-01T00:00:00Z. */
  const booted = Date.now();
  const clock = { ...systemClock, now: () => Date.now() - booted };

  beforeAll(async () => {
    await peer.listen();
    station = await kebaStation();
    agent = await startEdge(
      {
        edgeId: 'e-rtc',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-rtc-')),
        mqtt: { url: 'mqtt://127.0.0.1:1', password: 's' },
        log: { sync: false },
        // The wall times these meters send are UTC.
        timeZone: 'UTC',
        metrics: { enabled: true, port: 0 },
        keba: { host: '127.0.0.1', port: 0, pauseMs: 0 },
        devices: [
          {
            id: 'm1',
            driver: 'modbus-tcp',
            host: '127.0.0.1',
            port: peer.port,
            unitId: 1,
            profile: 'gridlink-charger',
            intervalMs: 100,
          },
          { id: 'k1', driver: 'keba-udp', host: '127.0.0.1', port: station.port, intervalMs: 100 },
        ],
      },
      { logger: pino({ level: 'silent' }), clock },
    );
  });
  afterAll(async () => {
    await agent?.close();
    station?.socket.close();
    await peer.close();
  });

  it('Modbus and KEBA readings stamped 1970 are rejected before the log, counted per device', async () => {
    const rejected = async (device: string) =>
      metric(await scrape(agent), 'gridlink_edge_readings_rejected_total', {
        device,
        reason: 'time_before_window',
      });
    await expect.poll(() => rejected('m1')).toBeGreaterThanOrEqual(2);
    await expect.poll(() => rejected('k1')).toBeGreaterThanOrEqual(2);
    expect(await logged(agent)).toEqual([]);
    for (const id of ['m1', 'k1']) {
      const d = agent.devices().find((v) => v.health.deviceId === id);
      expect(d?.errors.GL_READING_INVALID).toBeGreaterThanOrEqual(2);
      expect(d?.health.lastError).toMatch(/^GL_READING_INVALID: time_before_window: ts 1970-/);
    }
  });
});
