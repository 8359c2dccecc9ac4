import { randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { edgeTopic } from '@gridlink/shared';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mosquittoInstalled, type RunningMosquitto, startMosquitto } from './helpers/mosquitto.js';

/**
 * The shipped Mosquitto config (deploy/mosquitto) against the attacks the embedded broker is
 * tested with (central/test/mqtt-client-ids.test.ts, mqtt-packet-limits.test.ts): a real
 * Mosquitto started from exactly those files, real MQTT.js clients, a raw socket.
 */
if (!mosquittoInstalled && process.env.CI === 'true')
  throw new Error('the Mosquitto policy suite needs mosquitto and mosquitto_passwd under CI=true');
if (!mosquittoInstalled)
  console.warn('\n*** mosquitto missing: SKIPPING the Mosquitto policy suite. ***\n');

describe.skipIf(!mosquittoInstalled)(
  'Mosquitto from deploy/mosquitto: identities and limits',
  () => {
    let broker: RunningMosquitto;
    const secrets: Record<string, string> = {
      'gridlink-central-1': randomBytes(24).toString('base64url'),
      'edge-pa': randomBytes(24).toString('base64url'),
      'edge-pb': randomBytes(24).toString('base64url'),
    };
    const opened: MqttClient[] = [];
    const connect = async (user: string, clientId: string, extra: IClientOptions = {}) => {
      const client = await mqtt.connectAsync(broker.url, {
        username: user,
        password: secrets[user],
        clientId,
        reconnectPeriod: 0,
        ...extra,
      });
      opened.push(client);
      return client;
    };
    const closed = (client: MqttClient) =>
      new Promise<void>((resolve) => client.once('close', () => resolve()));

    beforeAll(async () => {
      broker = await startMosquitto(secrets, 'gridlink-central-1');
    });
    afterAll(async () => {
      await Promise.all(opened.map((c) => c.endAsync(true)));
      await broker?.stop();
    });

    it("edge B asking for edge A's client id gets a session of its own; A's stays, its will does not fire", async () => {
      const statusTopic = edgeTopic('edge-pa', 'status');
      const monitor = await connect('gridlink-central-1', 'central-monitor');
      const heard: string[] = [];
      monitor.on('message', (_topic, payload) => heard.push(payload.toString()));
      await monitor.subscribeAsync(statusTopic, { qos: 1 });

      const a = await connect('edge-pa', 'edge-edge-pa', {
        will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: false },
      });
      let aClosed = 0;
      a.on('close', () => {
        aClosed++;
      });
      const aKicked = closed(a).then(() => {
        throw new Error("edge A's session was taken over");
      });
      // Mosquitto accepts B, under its username: the id B asked for is not used.
      const b = await connect('edge-pb', 'edge-edge-pa');
      expect(b.connected).toBe(true);

      // A is still there. Had B taken A's session, A's will would have been published then,
      // before this message, and A could not publish at all.
      const online = new Promise<void>((resolve) =>
        monitor.on('message', (_t, p) => p.toString() === 'online' && resolve()),
      );
      await Promise.race([
        a.publishAsync(statusTopic, 'online', { qos: 1 }).then(() => online),
        aKicked,
      ]);
      expect(heard).toEqual(['online']);
      expect(aClosed).toBe(0);
      expect(a.connected).toBe(true);
    });

    it("an edge's reconnect takes over its own session: one session per edge", async () => {
      const first = await connect('edge-pb', 'edge-edge-pb:1');
      const firstClosed = closed(first);
      const second = await connect('edge-pb', 'edge-edge-pb:2');
      await firstClosed;
      expect(second.connected).toBe(true);
    });

    it('an unauthenticated CONNECT declaring 150 MB is cut at its header (max_packet_size)', async () => {
      const socket = tcpConnect(broker.port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      // 0x10 CONNECT, Remaining Length 150,000,000 = 0x80 0xA3 0xC3 0x47 (MQTT 3.1.1 §2.2.3).
      const header = Buffer.from([0x10, 0x80, 0xa3, 0xc3, 0x47]);
      const written = await new Promise<number>((resolve) => {
        let total = 0;
        let done = false;
        const chunk = Buffer.alloc(64 * 1024, 0x41);
        socket.on('error', () => undefined);
        socket.once('close', () => {
          done = true;
          resolve(total);
        });
        const pump = () => {
          while (!done && total < 150_000_000) {
            total += chunk.length;
            if (!socket.write(chunk)) return void socket.once('drain', pump);
          }
          if (!done) socket.end();
        };
        socket.write(header);
        total = header.length;
        pump();
      });
      // Closed long before the 150 MB went out (the rest sat in socket buffers at most).
      expect(written).toBeLessThan(32 * 1024 * 1024);
    });
  },
);
