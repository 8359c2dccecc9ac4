/**
 * Seed D/E meters the edge was not told about (issue #19 items 2-3, edge side): per-customer meter
 * numbers, the identity rule for `{"id":0}`, pending devices held crash-safe and bounded, and
 * the desired config's `provisioned` list moving their buffered readings into the log once.
 * Real UDP/TCP sockets on port 0, real LevelDB, real aedes and MQTT clients.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type ConfigApplied, edgeStatusSchema, edgeTopic, type Reading } from '@gridlink/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdge } from '../src/agent/index.js';
import { parseEdgeConfig } from '../src/config/index.js';
import { parseUdpDatagram } from '../src/drivers/index.js';
import { openReadingLog, type ReadingLog } from '../src/log/index.js';
import { bindingsFor, PendingStore } from '../src/provisioning/index.js';
import { startTestBroker, type TestBroker } from '../src/uplink/testing/broker.js';
import { FakeCentral } from '../src/uplink/testing/fake-central.js';
import { listenerPort, type TcpMeter, tcpMeter, udpMeter } from './helpers/push-clients.js';

const silent = pino({ level: process.env.DEBUG_EDGE ? 'debug' : 'silent' });
/** Valid CPFs (check digits right); 11111111111 is not one. */
const CPF_A = '52998224725';
const CPF_B = '39053344705';
const CPF_C = '11144477735';
/** Recent whole seconds: the log's age bound and the reading window both take them. */
const S0 = Math.floor(Date.now() / 1000) - 3600;
/** S0 + s as America/Bahia wall clock (UTC-3, no DST), the seeds' meters' format. */
const bahia = (s: number) =>
  new Date((S0 + s) * 1000 - 3 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
const spent = (id: number, kwh: number, s: number) =>
  JSON.stringify({ id, consumption: kwh, datetime: bahia(s), type: '/spent' });

const base = { edgeId: 'e1', mqtt: { url: 'mqtt://127.0.0.1:1', password: 's' } };
const configError = (input: unknown): string => {
  try {
    parseEdgeConfig(input);
    return 'accepted';
  } catch (err) {
    return (err as Error).message;
  }
};

async function logged(agent: EdgeAgent): Promise<Reading[]> {
  await agent.flush();
  return agent.log.read(1, 10_000);
}

describe('config: meter identities, time zone, provisioning', () => {
  it('seed D meter numbers are scoped by CPF; cpf-less meter ids must be unique among themselves', () => {
    const ok = parseEdgeConfig({
      ...base,
      devices: [
        { id: 'a1', driver: 'udp-meter', meterId: '1', cpf: CPF_A },
        { id: 'b1', driver: 'udp-meter', meterId: '1', cpf: CPF_B },
        { id: 'any1', driver: 'udp-meter', meterId: '1' },
      ],
    });
    expect(ok.devices.map((d) => d.id)).toEqual(['a1', 'b1', 'any1']);
    expect(
      configError({
        ...base,
        devices: [
          { id: 'a1', driver: 'udp-meter', meterId: '1', cpf: CPF_A },
          { id: 'a1b', driver: 'udp-meter', meterId: '1', cpf: CPF_A },
          { id: 'x', driver: 'udp-meter', meterId: '7' },
          { id: 'y', driver: 'udp-meter', meterId: '7' },
        ],
      }),
    ).toBe(
      'edge config: devices.1.meterId: meter id 1 of CPF 52998224725 is already a1; devices.3.meterId: meter id 7 is already x',
    );
  });

  it('timeZone is an IANA zone; provisioning is strict; provisioned ids and meters never collide', () => {
    expect(configError({ ...base, timeZone: 'Mars/Olympus' })).toBe(
      'edge config: timeZone: must be an IANA time zone such as America/Bahia',
    );
    expect(configError({ ...base, provisioning: { maxPendng: 3 } })).toMatch(
      /^edge config: provisioning: Unrecognized key: "maxPendng"/,
    );
    expect(configError({ ...base, provisioning: { maxPending: 0 } })).toMatch(
      /provisioning\.maxPending: /,
    );
    expect(
      configError({
        ...base,
        devices: [
          { id: 'a1', driver: 'udp-meter', meterId: '1', cpf: CPF_A },
          { id: 'j7', driver: 'tcp-json-meter', meterId: 7 },
        ],
        provisioned: [
          { id: 'a1', driver: 'udp-meter', meterId: '2', cpf: CPF_A },
          { id: 'p2', driver: 'udp-meter', meterId: '1', cpf: CPF_A },
          { id: 'p3', driver: 'tcp-json-meter', meterId: 7 },
          { id: 'p4', driver: 'udp-meter', meterId: '1', cpf: CPF_B },
          { id: 'p4', driver: 'tcp-json-meter', meterId: 8 },
        ],
      }),
    ).toBe(
      'edge config: provisioned.0.id: device id a1 is already a device of the file; ' +
        'provisioned.1.meterId: meter id 1 is already a1; provisioned.2.meterId: meter id 7 is already j7; ' +
        'provisioned.4.id: device id p4 is already a provisioned meter',
    );
  });

  it('parses the seed JSON form and float timestamps', () => {
    expect(
      parseUdpDatagram(
        '{"id":"52998224725","id_medidor":1,"valor":2.5,"timestamp":1764950400.123456}',
      ),
    ).toEqual({ cpf: CPF_A, meterId: '1', value: 2.5, timestamp: 1764950400.123456 });
    // A CPF sent as a JSON number keeps its leading zero.
    expect(
      parseUdpDatagram('{"id":1144477735,"id_medidor":"2","valor":1,"timestamp":"x"}').cpf,
    ).toBe('01144477735');
    expect(() => parseUdpDatagram('{"id":"1","id_medidor":1,"valor":"2","timestamp":1}')).toThrow(
      /valor/,
    );
  });
});

describe('the deprecated localTimeOffsetMinutes', () => {
  it('still reads wall times at its offset, and the edge warns that it overrides timeZone', async () => {
    const lines: { level: number; key?: string; msg: string }[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const agent = await startEdge(
      {
        ...base,
        edgeId: 'e-offset',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-offset-')),
        log: { sync: false },
        udp: { port: 0, localTimeOffsetMinutes: 0 },
        devices: [{ id: 'u', driver: 'udp-meter', meterId: '1', cpf: CPF_A }],
      },
      { logger: pino({ level: 'warn' }, sink) },
    );
    try {
      expect(lines.filter((l) => l.msg.startsWith('deprecated'))).toEqual([
        expect.objectContaining({ level: 40, key: 'udp.localTimeOffsetMinutes' }),
      ]);
      const m = await udpMeter(listenerPort(agent, 'udp-meter'));
      const wall = new Date(S0 * 1000).toISOString().slice(0, 19).replace('T', ' ');
      expect(await m.ask(`${CPF_A},1,1,${wall}`)).toBe('200'); // read as UTC (offset 0)
      await m.close();
      expect((await logged(agent)).map((r) => r.ts)).toEqual([S0 * 1000]);
    } finally {
      await agent.close();
    }
  });
});

describe('seed D over UDP: per-customer meter numbers, every datagram form', () => {
  let agent: EdgeAgent;
  let meter: Awaited<ReturnType<typeof udpMeter>>;

  beforeAll(async () => {
    agent = await startEdge(
      {
        ...base,
        edgeId: 'e-seed-d',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-seed-d-')),
        log: { sync: false },
        udp: { port: 0 },
        provisioning: { enabled: false },
        devices: [
          { id: 'a1', driver: 'udp-meter', meterId: '1', cpf: CPF_A },
          { id: 'b1', driver: 'udp-meter', meterId: '1', cpf: CPF_B },
          { id: 'any1', driver: 'udp-meter', meterId: '1' },
        ],
      },
      { logger: silent },
    );
    meter = await udpMeter(listenerPort(agent, 'udp-meter'));
  });
  afterAll(async () => {
    await meter?.close();
    await agent?.close();
  });

  it('meter 1 of two customers are two devices; a CPF no device names falls to the cpf-less one', async () => {
    const answers = [
      await meter.ask(`${CPF_A},1,1.5,${S0}.123456`), // time.time()
      await meter.ask(`${CPF_B},1,2.5,${bahia(1)}`), // local wall time
      await meter.ask(
        `{"id":"${CPF_B}","id_medidor":1,"valor":3.5,"timestamp":${S0 + 2}.5}`, // seed JSON
      ),
      await meter.ask(`${CPF_C},1,4.5,${(S0 + 3) * 1000}`), // epoch ms, a third customer
      await meter.ask(`{"meterId":"1","cpf":"${CPF_A}","value":5.5,"timestamp":${S0 + 4}}`),
    ];
    expect(answers).toEqual(['200', '200', '200', '200', '200']);
    expect((await logged(agent)).map((r) => [r.deviceId, r.ts, r.values.energy_interval])).toEqual([
      ['a1', S0 * 1000 + 123, 1.5],
      ['b1', (S0 + 1) * 1000, 2.5],
      ['b1', (S0 + 2) * 1000 + 500, 3.5],
      ['any1', (S0 + 3) * 1000, 4.5],
      ['a1', (S0 + 4) * 1000, 5.5],
    ]);
  });
});

describe('seed E identity rule: a restarted meter never takes another meter identity', () => {
  let agent: EdgeAgent;
  const S1 = 'secret-of-meter-31-xx';
  const S2 = 'secret-of-meter-32-xx';
  const open: TcpMeter[] = [];
  const connect = async () => {
    const m = await tcpMeter(listenerPort(agent, 'tcp-json-meter'));
    open.push(m);
    return m;
  };

  beforeAll(async () => {
    agent = await startEdge(
      {
        ...base,
        edgeId: 'e-identity',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-identity-')),
        log: { sync: false },
        tcpJson: { port: 0 },
        devices: [
          { id: 'm31', driver: 'tcp-json-meter', meterId: 31, secret: S1 },
          { id: 'm32', driver: 'tcp-json-meter', meterId: 32, secret: S2 },
          { id: 'm40', driver: 'tcp-json-meter', meterId: 40 },
          { id: 'm41', driver: 'tcp-json-meter', meterId: 41 },
        ],
      },
      { logger: silent },
    );
  });
  afterAll(async () => {
    for (const m of open) m.socket.destroy();
    await agent?.close();
  });

  it('meters with secrets restarted in the other order get their own ids back', async () => {
    for (const order of [
      [S1, S2],
      [S2, S1],
    ]) {
      const ids: number[] = [];
      for (const secret of order) {
        const m = await connect();
        m.send(`{"id":0,"secret":"${secret}"}`);
        ids.push((await m.next()).id as number);
        m.socket.destroy();
        await expect.poll(() => agent.devices().every((d) => !d.health.online)).toBe(true);
      }
      expect(ids).toEqual(order.map((s) => (s === S1 ? 31 : 32)));
    }
  });

  it('meters without secret or host go pending under fresh ids, in whatever order; never 40 or 41', async () => {
    const first: number[] = [];
    for (let i = 0; i < 2; i++) {
      const m = await connect();
      m.send('{"id":0}');
      first.push((await m.next()).id as number);
      m.socket.destroy();
    }
    const again: number[] = [];
    for (let i = 0; i < 2; i++) {
      const m = await connect();
      m.send('{"id":0}');
      again.push((await m.next()).id as number);
    }
    // Fresh ids above every configured one, each handed out once.
    expect(first).toEqual([42, 43]);
    expect(again).toEqual([44, 45]);
    expect(agent.status().pending?.map((p) => p.key)).toEqual([
      'tcp-json-meter:42',
      'tcp-json-meter:43',
      'tcp-json-meter:44',
      'tcp-json-meter:45',
    ]);
    // A meter that remembers its pending id continues it; another id's meter cannot take it.
    const back = await connect();
    back.send('{"id":42}');
    expect(await back.next()).toEqual({ id: 42 });
    const twin = await connect();
    twin.send('{"id":42}');
    expect(await twin.next()).toMatchObject({ error: { code: 'GL_METER_TAKEN' } });
    // Nothing reached the configured meters.
    expect(await logged(agent)).toEqual([]);
  });
});

describe('seed E identity rule by host', () => {
  const withHosts = (edgeId: string, hosts: string[]) =>
    startEdge(
      {
        ...base,
        edgeId,
        dataDir: mkdtempSync(join(tmpdir(), `gl-${edgeId}-`)),
        log: { sync: false },
        tcpJson: { port: 0 },
        devices: hosts.map((host, i) => ({
          id: `h${i}`,
          driver: 'tcp-json-meter' as const,
          meterId: 51 + i,
          host,
        })),
      },
      { logger: silent },
    );

  it('the only meter configured with the peer address is bound; while it is live, a twin is refused', async () => {
    const agent = await withHosts('e-host-1', ['127.0.0.1', '10.9.9.9']);
    try {
      const a = await tcpMeter(listenerPort(agent, 'tcp-json-meter'));
      a.send('{"id":0}');
      expect(await a.next()).toEqual({ id: 51 });
      const twin = await tcpMeter(listenerPort(agent, 'tcp-json-meter'));
      twin.send('{"id":0}');
      expect(await twin.next()).toMatchObject({ error: { code: 'GL_METER_TAKEN' } });
      await twin.closed;
      a.socket.destroy();
    } finally {
      await agent.close();
    }
  });

  it('two meters with the peer address are ambiguous: a fresh pending id, neither of theirs', async () => {
    const agent = await withHosts('e-host-2', ['127.0.0.1', '127.0.0.1']);
    try {
      const a = await tcpMeter(listenerPort(agent, 'tcp-json-meter'));
      a.send('{"id":0}');
      expect(await a.next()).toEqual({ id: 53 });
      expect(agent.status().pending?.map((p) => p.key)).toEqual(['tcp-json-meter:53']);
      a.socket.destroy();
    } finally {
      await agent.close();
    }
  });
});

describe('pending bounds', () => {
  let agent: EdgeAgent;
  let broker: TestBroker;

  beforeAll(async () => {
    // A broker, so the remote config's outcome is delivered (a close would wait for it).
    broker = await startTestBroker();
    agent = await startEdge(
      {
        ...base,
        mqtt: { url: broker.url, password: 's' },
        edgeId: 'e-bounds',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-bounds-')),
        log: { sync: false },
        udp: { port: 0, enabled: true },
        provisioning: { maxPending: 2, maxBufferedPerDevice: 3 },
      },
      { logger: silent },
    );
  });
  afterAll(async () => {
    await agent?.close();
    await broker?.close();
  });

  it('past maxBufferedPerDevice or maxPending: 503 GL_PENDING_FULL, counted; a non-CPF is unknown', async () => {
    const m = await udpMeter(listenerPort(agent, 'udp-meter'));
    const answers: string[] = [];
    for (let i = 0; i < 5; i++) answers.push(await m.ask(`${CPF_A},1,${i},${S0 + i}`));
    answers.push(await m.ask(`${CPF_B},1,9,${S0}`));
    answers.push(await m.ask(`${CPF_C},1,9,${S0}`)); // a third pending meter: too many
    answers.push(await m.ask(`11111111111,1,9,${S0}`)); // no valid CPF: not held
    answers.push(await m.ask(`${CPF_B},1,9,1999-01-01 00:00:00`)); // before the reading window
    await m.close();
    expect(answers).toEqual([
      '200',
      '200',
      '200',
      '503 GL_PENDING_FULL',
      '503 GL_PENDING_FULL',
      '200',
      '503 GL_PENDING_FULL',
      '403 GL_METER_UNKNOWN',
      '400 GL_READING_INVALID',
    ]);
    const pending = agent.status().pending ?? [];
    expect(pending.map((p) => [p.key, p.buffered, p.dropped])).toEqual([
      [`udp-meter:${CPF_B}:1`, 1, 0],
      [`udp-meter:${CPF_A}:1`, 3, 2],
    ]);
    expect(agent.status().channels.find((c) => c.driver === 'udp-meter')?.counters).toMatchObject({
      pending_readings: 4,
      pending_full: 3,
      unknown_senders: 1,
      invalid_readings: 1,
    });
    // Nothing of theirs is in the log.
    expect(await logged(agent)).toEqual([]);
  });

  it('a device that now serves a pending meter takes its buffered readings, even unnamed', async () => {
    // A desired config that declares the meter as a plain device (no provisioned entry, no
    // pendingKey): the meter's datagrams go to it now, and so do those it sent while unknown.
    const r = await agent.remoteConfig.handle(
      JSON.stringify({
        version: 1,
        config: { devices: [{ id: 'a1', driver: 'udp-meter', meterId: '1', cpf: CPF_A }] },
      }),
    );
    expect(r).toMatchObject({ ok: true, running: 1 });
    expect((await logged(agent)).map((x) => [x.deviceId, x.ts, x.values.energy_interval])).toEqual([
      ['a1', S0 * 1000, 0],
      ['a1', (S0 + 1) * 1000, 1],
      ['a1', (S0 + 2) * 1000, 2],
    ]);
    expect(agent.status().pending?.map((p) => p.key)).toEqual([`udp-meter:${CPF_B}:1`]);
  });
});

describe('bindingsFor: which pending keys move where', () => {
  it('provisioned pendingKeys first, then the key a served meter would have been held under', () => {
    const keys = [
      `udp-meter:${CPF_A}:1`,
      `udp-meter:${CPF_B}:1`,
      `udp-meter:${CPF_C}:9`,
      'tcp-json-meter:7',
      'tcp-json-meter:8',
    ];
    expect(
      bindingsFor(
        [
          { id: 'a1', driver: 'udp-meter', meterId: '1', cpf: CPF_A, valueName: 'energy_interval' },
          { id: 'any9', driver: 'udp-meter', meterId: '9', valueName: 'energy_interval' },
          { id: 'j7', driver: 'tcp-json-meter', meterId: 7, valueName: 'energy_import' },
        ],
        [{ id: 'p-b1', pendingKey: `udp-meter:${CPF_B}:1` }, { id: 'p-none' }],
        keys,
      ),
    ).toEqual([
      { id: 'p-b1', pendingKey: `udp-meter:${CPF_B}:1` },
      { id: 'a1', pendingKey: `udp-meter:${CPF_A}:1` },
      { id: 'any9', pendingKey: `udp-meter:${CPF_C}:9` },
      { id: 'j7', pendingKey: 'tcp-json-meter:7' },
    ]);
  });
});

describe('pending → provisioned → buffered readings forwarded once (real aedes)', () => {
  let broker: TestBroker;
  let central: FakeCentral;
  let control: MqttClient;
  let agent: EdgeAgent;
  const dataDir = mkdtempSync(join(tmpdir(), 'gl-edge-provision-'));
  const applied: ConfigApplied[] = [];
  const config = () => ({
    edgeId: 'e-prov',
    dataDir,
    mqtt: { url: broker.url, password: 's' },
    log: { sync: false },
    uplink: { maxDelayMs: 10 },
    udp: { port: 0, enabled: true },
    tcpJson: { port: 0, enabled: true },
  });
  const deviceReadings = (id: string) =>
    central.stored.filter((r) => r.deviceId === id).map((r) => [r.ts, r.values]);

  beforeAll(async () => {
    broker = await startTestBroker();
    central = await FakeCentral.start({ url: broker.url });
    control = await mqtt.connectAsync(broker.url, {
      clientId: 'control',
      username: 'c',
      password: 'c',
    });
    control.on('message', (topic, p) => {
      if (topic === edgeTopic('e-prov', 'config/applied') && p.length > 0)
        applied.push(JSON.parse(p.toString()) as ConfigApplied);
    });
    await control.subscribeAsync(edgeTopic('e-prov', 'config/applied'), { qos: 1 });
    agent = await startEdge(config(), { logger: silent });
  });
  afterAll(async () => {
    await agent?.close().catch(() => undefined);
    await control?.endAsync();
    await central?.close();
    await broker?.close();
  });

  let tcpId = 0;

  it('unknown seed D and seed E meters are held pending and reported in the status', async () => {
    // The status over MQTT tells the central at once, not after statusIntervalMs (30 s).
    const statuses: { pending?: { key: string }[] }[] = [];
    control.on('message', (topic, p) => {
      if (topic === edgeTopic('e-prov', 'status') && p.length > 0)
        statuses.push(JSON.parse(p.toString()));
    });
    await control.subscribeAsync(edgeTopic('e-prov', 'status'), { qos: 1 });
    const udp = await udpMeter(listenerPort(agent, 'udp-meter'));
    expect(await udp.ask(`${CPF_A},1,1.25,${S0}.25`)).toBe('200');
    expect(
      await udp.ask(`{"id":"${CPF_A}","id_medidor":1,"valor":0.75,"timestamp":"${bahia(60)}"}`),
    ).toBe('200');
    await udp.close();
    await expect
      .poll(() => statuses.at(-1)?.pending?.map((p) => p.key))
      .toEqual([`udp-meter:${CPF_A}:1`]);
    const tcp = await tcpMeter(listenerPort(agent, 'tcp-json-meter'));
    tcp.socket.write('{"id":0}'); // no newline: a bare object, as the original meters sent
    tcpId = (await tcp.next()).id as number;
    expect(tcpId).toBe(1);
    // Two readings in one write, no newline between or after them.
    tcp.socket.write(`${spent(tcpId, 10.5, 0)}${spent(tcpId, 11, 60)}`);
    await expect
      .poll(() => agent.status().pending?.find((p) => p.driver === 'tcp-json-meter')?.buffered)
      .toBe(2);
    tcp.socket.destroy();

    // The status as published over MQTT carries them, and matches the shared contract.
    const status = edgeStatusSchema.parse(agent.status());
    expect(
      status.pending?.map((p) => [p.key, p.driver, p.cpf, p.meterId, p.buffered, p.dropped]),
    ).toEqual([
      [`tcp-json-meter:${tcpId}`, 'tcp-json-meter', undefined, String(tcpId), 2, 0],
      [`udp-meter:${CPF_A}:1`, 'udp-meter', CPF_A, '1', 2, 0],
    ]);
    expect(status.pending?.[1]?.from).toMatch(/^127\.0\.0\.1:\d+$/);
    // Nothing was forwarded for them.
    await agent.flush();
    expect(agent.log.stats().lastSeq).toBe(0);
  });

  it('a restart keeps them (LevelDB), then the desired config binds them: readings forwarded once', async () => {
    await agent.close();
    agent = await startEdge(config(), { logger: silent });
    expect(agent.status().pending?.map((p) => [p.key, p.buffered])).toEqual([
      [`tcp-json-meter:${tcpId}`, 2],
      [`udp-meter:${CPF_A}:1`, 2],
    ]);
    // The fresh-id counter survived too: the next {"id":0} is never 1 again.
    const other = await tcpMeter(listenerPort(agent, 'tcp-json-meter'));
    other.send('{"id":0}');
    expect(await other.next()).toEqual({ id: 2 });
    other.socket.destroy();

    await control.publishAsync(
      edgeTopic('e-prov', 'config'),
      JSON.stringify({
        version: 1,
        config: {
          provisioned: [
            {
              id: `d-${CPF_A}-1`,
              driver: 'udp-meter',
              meterId: '1',
              cpf: CPF_A,
              pendingKey: `udp-meter:${CPF_A}:1`,
            },
            {
              id: `e-${tcpId}`,
              driver: 'tcp-json-meter',
              meterId: tcpId,
              pendingKey: `tcp-json-meter:${tcpId}`,
            },
          ],
        },
      }),
      { qos: 1, retain: true },
    );
    await expect.poll(() => applied.at(-1)).toMatchObject({ version: 1, ok: true });
    await expect.poll(() => central.stored.length).toBe(4);
    expect(deviceReadings(`d-${CPF_A}-1`)).toEqual([
      [S0 * 1000 + 250, { energy_interval: 1.25 }],
      [(S0 + 60) * 1000, { energy_interval: 0.75 }],
    ]);
    expect(deviceReadings(`e-${tcpId}`)).toEqual([
      [S0 * 1000, { energy_import: 10.5 }],
      [(S0 + 60) * 1000, { energy_import: 11 }],
    ]);
    expect(agent.status().pending?.map((p) => p.key)).toEqual(['tcp-json-meter:2']);
    expect((agent.status().devices ?? []).map((d) => d.deviceId).sort()).toEqual([
      `d-${CPF_A}-1`,
      `e-${tcpId}`,
    ]);

    // From now on they are served like the file's devices.
    const udp = await udpMeter(listenerPort(agent, 'udp-meter'));
    expect(await udp.ask(`${CPF_A},1,2,${S0 + 120}`)).toBe('200');
    await udp.close();
    const tcp = await tcpMeter(listenerPort(agent, 'tcp-json-meter'));
    tcp.socket.write(`{"id":${tcpId}}`);
    expect(await tcp.next()).toEqual({ id: tcpId });
    tcp.socket.write(spent(tcpId, 11.5, 120));
    await expect.poll(() => central.stored.length).toBe(6);
    tcp.socket.destroy();
  });

  it('restarting again (the retained desired config re-applied) moves nothing twice', async () => {
    const lastSeq = agent.log.stats().lastSeq;
    await agent.close();
    const before = applied.length;
    agent = await startEdge(config(), { logger: silent });
    await expect.poll(() => applied.length).toBeGreaterThan(before);
    expect(applied.at(-1)).toMatchObject({ version: 1, ok: true });
    await agent.flush();
    expect(agent.log.stats().lastSeq).toBe(lastSeq);
    expect(central.audit(lastSeq)).toEqual({ twice: [], missing: [] });
    expect(central.stored).toHaveLength(6);
  });

  it('an original seed E meter bound while connected goes on without reconnecting', async () => {
    // It says {"id":0} once per connection, so a listener restarted by the apply would make it
    // a new pending meter again: the listener is kept, and the connection with it.
    const meter = await tcpMeter(listenerPort(agent, 'tcp-json-meter'));
    meter.socket.write('{"id":0}');
    const id = (await meter.next()).id as number;
    expect(id).toBe(3);
    meter.socket.write(spent(id, 1, 180));
    await expect
      .poll(() => agent.status().pending?.find((p) => p.key === `tcp-json-meter:${id}`)?.buffered)
      .toBe(1);
    const before = applied.length;
    await control.publishAsync(
      edgeTopic('e-prov', 'config'),
      JSON.stringify({
        version: 2,
        config: {
          provisioned: [
            { id: `d-${CPF_A}-1`, driver: 'udp-meter', meterId: '1', cpf: CPF_A },
            { id: `e-${tcpId}`, driver: 'tcp-json-meter', meterId: tcpId },
            {
              id: `e-${id}`,
              driver: 'tcp-json-meter',
              meterId: id,
              pendingKey: `tcp-json-meter:${id}`,
            },
          ],
        },
      }),
      { qos: 1, retain: true },
    );
    await expect.poll(() => applied.length).toBeGreaterThan(before);
    expect(applied.at(-1)).toMatchObject({ version: 2, ok: true });
    // Same connection, next reading: stored under the bound device, after the buffered one.
    meter.socket.write(spent(id, 2, 240));
    await expect.poll(() => deviceReadings(`e-${id}`).length).toBe(2);
    expect(deviceReadings(`e-${id}`)).toEqual([
      [(S0 + 180) * 1000, { energy_import: 1 }],
      [(S0 + 240) * 1000, { energy_import: 2 }],
    ]);
    expect(meter.socket.destroyed).toBe(false);
    meter.send(`{"id":${id}}`);
    expect(await meter.next()).toEqual({ id });
    meter.socket.destroy();
  });
});

describe('moving buffered readings: one atomic batch, retried after a failure', () => {
  it('an append that fails leaves the meter pending; the next try (after a reopen) moves it once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-edge-move-'));
    const limits = () => ({ enabled: true, maxPending: 10, maxBufferedPerDevice: 10 });
    const open = async (log: ReadingLog) => {
      const store: PendingStore = await PendingStore.open({
        log,
        limits,
        gate: (r) => {
          store.accept(r);
          return { ok: true };
        },
        afterMove: () => undefined,
        logger: silent,
      });
      return store;
    };
    const meter = {
      key: `udp-meter:${CPF_A}:3`,
      driver: 'udp-meter' as const,
      cpf: CPF_A,
      meterId: '3',
    };
    const bound = [
      {
        id: 'd3',
        driver: 'udp-meter' as const,
        meterId: '3',
        cpf: CPF_A,
        pendingKey: meter.key,
      },
    ];

    let log = await openReadingLog({ dir, sync: true });
    let failing = true;
    // The injected fault: the log's append refuses while `failing`.
    const faulty: ReadingLog = {
      epoch: log.epoch,
      append: (readings, side) =>
        failing ? Promise.reject(new Error('disk full')) : log.append(readings, side),
      read: (...a) => log.read(...a),
      readEncoded: (...a) => log.readEncoded(...a),
      ack: (upTo) => log.ack(upTo),
      stats: () => log.stats(),
      close: () => log.close(),
      sideEntries: (prefix) => (log.sideEntries as NonNullable<ReadingLog['sideEntries']>)(prefix),
      sideWrite: (w) => (log.sideWrite as NonNullable<ReadingLog['sideWrite']>)(w),
    };
    let store = await open(faulty);
    for (let i = 0; i < 3; i++)
      store.hold(meter, { ts: (S0 + i) * 1000, quality: 'good', values: { energy_interval: i } });
    await store.flush();
    await store.bind(bound);
    expect(store.list().map((p) => [p.key, p.buffered])).toEqual([[meter.key, 3]]);
    expect(log.stats().lastSeq).toBe(0);
    await log.close();

    // Reopened on the same directory (as after a crash): still pending, then moved once.
    log = await openReadingLog({ dir, sync: true });
    failing = false;
    store = await open(log);
    expect(store.list().map((p) => [p.key, p.buffered])).toEqual([[meter.key, 3]]);
    await store.bind(bound);
    expect(store.list()).toEqual([]);
    expect(
      (await log.read(1, 100)).map((r) => [r.seq, r.deviceId, r.values.energy_interval]),
    ).toEqual([
      [1, 'd3', 0],
      [2, 'd3', 1],
      [3, 'd3', 2],
    ]);
    await log.close();

    // And once only: a third open finds nothing pending and binding again appends nothing.
    log = await openReadingLog({ dir, sync: true });
    store = await open(log);
    expect(store.list()).toEqual([]);
    await store.bind(bound);
    expect(log.stats().lastSeq).toBe(3);
    await log.close();
  });
});
