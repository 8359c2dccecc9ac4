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
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgeTopic } from '@gridlink/shared';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdge } from '../src/agent/index.js';
import type { ReadingLog } from '../src/log/index.js';
import { startTestBroker, type TestBroker } from '../src/uplink/testing/broker.js';
import { listenerPort, udpMeter } from './helpers/push-clients.js';

const EDGE = 'e-first';

describe('edge status before readings', () => {
  let broker: TestBroker | undefined;
  let agent: EdgeAgent | undefined;
  afterAll(async () => {
    await agent?.close();
    await broker?.close();
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
});
