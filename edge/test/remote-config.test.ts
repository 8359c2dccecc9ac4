/**
 * Remote configuration: the central's retained desired config on `.../config` (real aedes on
 * port 0) is applied without a restart and without touching the readings log; every outcome is
 * reported on `.../config/applied` with the version now running.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConfigApplied, edgeTopic } from '@gridlink/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdge } from '../src/agent/index.js';
import { startTestBroker, type TestBroker } from '../src/uplink/testing/broker.js';
import { ModbusTcpPeer } from './helpers/modbus-peer.js';

describe('remote configuration', () => {
  const peer = new ModbusTcpPeer();
  let broker: TestBroker;
  let agent: EdgeAgent;
  let central: MqttClient;
  const applied: ConfigApplied[] = [];
  let wake: (() => void) | undefined;

  const nextApplied = (count: number) =>
    new Promise<ConfigApplied>((resolve) => {
      const check = () => {
        if (applied.length >= count) resolve(applied[count - 1] as ConfigApplied);
        else wake = check;
      };
      check();
    });
  const desire = async (doc: unknown) => {
    const n = applied.length + 1;
    await central.publishAsync(edgeTopic('e-rc', 'config'), JSON.stringify(doc), {
      qos: 1,
      retain: true,
    });
    return nextApplied(n);
  };

  beforeAll(async () => {
    await peer.listen();
    broker = await startTestBroker();
    central = await mqtt.connectAsync(broker.url, {
      clientId: 'central',
      username: 'c',
      password: 'c',
    });
    central.on('message', (_t, payload) => {
      if (payload.length === 0) return;
      applied.push(JSON.parse(payload.toString()) as ConfigApplied);
      wake?.();
    });
    await central.subscribeAsync(edgeTopic('e-rc', 'config/applied'), { qos: 1 });
    agent = await startEdge(
      {
        edgeId: 'e-rc',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-rc-')),
        mqtt: { url: broker.url, password: 's' },
        log: { sync: false },
        udp: { port: 0 },
        devices: [{ id: 'u1', driver: 'udp-meter', meterId: 'MED-1' }],
      },
      { logger: pino({ level: 'silent' }) },
    );
    // One reading in the log before any remote change.
    const port = (agent.drivers[0] as unknown as { port(): number }).port();
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => {
      udp.once('message', () => resolve());
      udp.send(`x,MED-1,1.5,${Math.floor(Date.now() / 1000)}`, port, '127.0.0.1');
    });
    udp.close();
    await agent.flush();
  });
  afterAll(async () => {
    await central?.endAsync();
    await agent?.close();
    await broker?.close();
    await peer.close();
  });

  it('applies a new device list without a restart; the log keeps its epoch and readings', async () => {
    const epoch = agent.log.epoch;
    const before = agent.log.stats().lastSeq;
    expect(before).toBe(1);
    const r = await desire({
      version: 1,
      config: {
        devices: [
          {
            id: 'ch1',
            driver: 'modbus-tcp',
            host: '127.0.0.1',
            port: peer.port,
            unitId: 1,
            profile: 'gridlink-charger',
            intervalMs: 100,
            timeoutMs: 5000,
          },
        ],
      },
    });
    expect(r).toMatchObject({ version: 1, ok: true, running: 1 });
    expect(agent.config.configVersion).toBe(1);
    expect(agent.status().configVersion).toBe(1);
    expect(agent.devices().map((d) => d.health.deviceId)).toEqual(['ch1']);
    expect(agent.log.epoch).toBe(epoch);
    expect((await agent.log.read(1, 10))[0]).toMatchObject({ seq: 1, deviceId: 'u1' });
    // The new device is polled by the running agent.
    await peer.until(() => peer.countFor(1) >= 2);
  });

  it('refuses a bad or non-remote config, keeps running the old one, and says why', async () => {
    const bad = await desire({
      version: 2,
      config: {
        devices: [
          { id: 'r1', driver: 'modbus-rtu', bus: 'nope', unitId: 1, profile: 'eastron-sdm120' },
        ],
      },
    });
    expect(bad).toMatchObject({
      version: 2,
      ok: false,
      running: 1,
      error: { code: 'GL_CONFIG_INVALID' },
    });
    expect(bad.error?.message).toContain('devices.0.bus: no bus "nope"');
    const local = await desire({
      version: 3,
      config: { mqtt: { url: 'mqtt://evil', password: 'x' } },
    });
    expect(local).toMatchObject({ ok: false, running: 1 });
    expect(local.error?.message).toContain('mqtt: not remotely configurable');
    const unknownProfile = await desire({
      version: 4,
      config: { devices: [{ id: 'x', driver: 'modbus-tcp', host: '127.0.0.1', profile: 'nope' }] },
    });
    expect(unknownProfile).toMatchObject({
      ok: false,
      running: 1,
      error: { code: 'GL_PROFILE_UNKNOWN' },
    });
    expect(agent.devices().map((d) => d.health.deviceId)).toEqual(['ch1']);
    const garbage = await desire({ version: 'five' });
    expect(garbage).toMatchObject({ ok: false, running: 1, error: { code: 'GL_PAYLOAD_SCHEMA' } });
  });

  it('the running version redelivered (reconnect, retained) is acknowledged, not re-applied', async () => {
    const drivers = agent.drivers;
    const r = await desire({ version: 1, config: {} });
    expect(r).toMatchObject({ version: 1, ok: true, running: 1 });
    expect(agent.drivers).toBe(drivers);
  });
});
