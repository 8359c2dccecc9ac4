/**
 * The status goes before the readings (docs/WIRE.md "Devices and their kinds"): the central fixes
 * a device's kind when it first sees it, from a status, or as a meter when telemetry names it
 * first. So the edge must have published a status naming its devices before the first batch of
 * their readings, on every connection. Seen in CI: the MQTT connection came up while the edge was
 * still opening its stores, the connect listener that publishes the status was not yet attached,
 * the first status waited for `statusIntervalMs`, and a charger's first batch got there first:
 * the central registered the charger as a meter for good.
 *
 * Made deterministic with a real aedes broker: the edge's store is held open (an injected delay
 * on the log's side keyspace, which the provisioning store reads while the edge starts) until the
 * broker has seen the uplink subscribe, that is, until the connection is up.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConfigApplied, edgeTopic } from '@gridlink/shared';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdge } from '../src/agent/index.js';
import type { ReadingLog } from '../src/log/index.js';
import { startTestBroker, type TestBroker } from '../src/uplink/testing/broker.js';
import { ModbusTcpPeer } from './helpers/modbus-peer.js';
import { listenerPort, udpMeter } from './helpers/push-clients.js';

const EDGE = 'e-first';

describe('edge status before readings', () => {
  let broker: TestBroker | undefined;
  let agent: EdgeAgent | undefined;
  const peer = new ModbusTcpPeer();
  afterAll(async () => {
    await agent?.close();
    await broker?.close();
    await peer.close();
  });

  it('a connection that comes up while the edge starts gets the status before any batch', async () => {
    const published: string[] = [];
    let telemetrySeen: () => void = () => undefined;
    const telemetry = new Promise<void>((resolve) => {
      telemetrySeen = resolve;
    });
    let subscribed: () => void = () => undefined;
    const connectionUp = new Promise<void>((resolve) => {
      subscribed = resolve;
    });
    broker = await startTestBroker(0, {
      authorizePublish: (client, packet, done) => {
        if (client?.id === `edge-${EDGE}`) {
          published.push(packet.topic);
          if (packet.topic.endsWith('/telemetry')) telemetrySeen();
        }
        done(null);
      },
      authorizeSubscribe: (client, sub, done) => {
        if (client?.id === `edge-${EDGE}` && sub.topic === edgeTopic(EDGE, 'ack')) subscribed();
        done(null, sub);
      },
    });
    /** The log, its side keyspace held until the broker has the uplink's subscription. */
    const holdUntilConnected = (log: ReadingLog): ReadingLog =>
      new Proxy(log, {
        get(target, key) {
          const value = Reflect.get(target, key, target);
          if (typeof value !== 'function') return value;
          if (key !== 'sideEntries') return value.bind(target);
          return async (prefix: string) => {
            await connectionUp;
            return value.call(target, prefix);
          };
        },
      });

    agent = await startEdge(
      {
        edgeId: EDGE,
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-first-')),
        mqtt: { url: broker.url, password: 's' },
        log: { sync: false },
        // The interval status would come an hour later: only the connection's status can be first.
        statusIntervalMs: 3_600_000,
        uplink: { maxDelayMs: 0 },
        udp: { port: 0 },
        devices: [{ id: 'u1', driver: 'udp-meter', meterId: 'MED-1' }],
      },
      { logger: pino({ level: 'silent' }), decorate: { log: holdUntilConnected } },
    );
    expect(agent.mqtt.connected).toBe(true);

    const meter = await udpMeter(listenerPort(agent, 'udp-meter'));
    expect(
      await meter.ask(JSON.stringify({ meterId: 'MED-1', value: 1.5, timestamp: Date.now() })),
    ).toBe('200');
    await meter.close();
    await telemetry;
    expect(published.slice(0, 2)).toEqual([
      edgeTopic(EDGE, 'status'),
      edgeTopic(EDGE, 'telemetry'),
    ]);
  });

  it('a remote config announces its new devices before their readings, without claiming its version until it runs', async () => {
    await agent?.close();
    await broker?.close();
    const EDGE2 = 'e-first-apply';
    /** The edge's publishes in broker order: topic, and the status's version and devices. */
    const seen: Array<{ topic: string; version?: number; devices?: string[] }> = [];
    broker = await startTestBroker(0, {
      authorizePublish: (client, packet, done) => {
        if (client?.id === `edge-${EDGE2}`) {
          const status = packet.topic.endsWith('/status')
            ? (JSON.parse(packet.payload.toString()) as {
                configVersion?: number;
                devices?: Array<{ deviceId: string }>;
              })
            : undefined;
          seen.push({
            topic: packet.topic.slice(packet.topic.lastIndexOf('/') + 1),
            ...(status
              ? {
                  version: status.configVersion,
                  devices: (status.devices ?? []).map((d) => d.deviceId),
                }
              : {}),
          });
        }
        done(null);
      },
    });
    await peer.listen();
    const central = await mqtt.connectAsync(broker.url, { clientId: 'central' });
    const applied: ConfigApplied[] = [];
    let wake: () => void = () => undefined;
    central.on('message', (_t, payload) => {
      if (payload.length === 0) return;
      applied.push(JSON.parse(payload.toString()) as ConfigApplied);
      wake();
    });
    await central.subscribeAsync(edgeTopic(EDGE2, 'config/applied'), { qos: 1 });
    const desire = async (doc: unknown) => {
      const n = applied.length + 1;
      const answered = new Promise<ConfigApplied>((resolve) => {
        const check = () => {
          if (applied.length >= n) resolve(applied[n - 1] as ConfigApplied);
        };
        wake = check;
        check();
      });
      await central.publishAsync(edgeTopic(EDGE2, 'config'), JSON.stringify(doc), {
        qos: 1,
        retain: true,
      });
      return answered;
    };

    agent = await startEdge(
      {
        edgeId: EDGE2,
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-first-apply-')),
        mqtt: { url: broker.url, password: 's' },
        log: { sync: false },
        statusIntervalMs: 3_600_000,
        uplink: { maxDelayMs: 0 },
        udp: { port: 0 },
        devices: [{ id: 'u1', driver: 'udp-meter', meterId: 'MED-1' }],
      },
      { logger: pino({ level: 'silent' }) },
    );
    await expect.poll(() => seen.length).toBeGreaterThan(0);

    // v1 adds a charger polled at once: its status comes before its first batch.
    const from = seen.length;
    const charger = {
      id: 'ch1',
      driver: 'modbus-tcp',
      host: '127.0.0.1',
      port: peer.port,
      unitId: 1,
      profile: 'gridlink-charger',
      intervalMs: 100,
    };
    expect(await desire({ version: 1, config: { devices: [charger] } })).toMatchObject({
      ok: true,
      running: 1,
    });
    await expect.poll(() => seen.slice(from).some((m) => m.topic === 'telemetry')).toBe(true);
    const after = seen.slice(from);
    const firstBatch = after.findIndex((m) => m.topic === 'telemetry');
    const announced = after.findIndex((m) => m.devices?.includes('ch1'));
    expect(announced).toBeGreaterThanOrEqual(0);
    expect(announced).toBeLessThan(firstBatch);
    // Announced while v0 still ran: the version is claimed only by the status once v1 runs.
    expect(after[announced]?.version).toBe(0);
    expect(after.some((m) => m.version === 1)).toBe(true);

    // v2 cannot start (its UDP port is taken): refused, v1 restored and said so at once; no
    // status ever claims v2.
    const holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', () => resolve()));
    const taken = holder.address().port;
    const before = seen.length;
    const failed = await desire({
      version: 2,
      config: {
        udp: { port: taken, host: '127.0.0.1' },
        devices: [{ id: 'u2', driver: 'udp-meter', meterId: 'MED-2' }],
      },
    });
    holder.close();
    expect(failed).toMatchObject({ ok: false, running: 1, error: { code: 'GL_PORT_IN_USE' } });
    await expect
      .poll(
        () =>
          seen
            .slice(before)
            .filter((m) => m.topic === 'status')
            .at(-1)?.devices,
      )
      .toEqual(['ch1']);
    expect(seen.some((m) => m.version === 2)).toBe(false);
    await central.endAsync();
  });
});
