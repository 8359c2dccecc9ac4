/**
 * Refused credentials (issue 16, "edge that speaks up"): a real aedes broker refuses the edge's
 * password (CONNACK 4, MQTT 3.1.1 §3.2.2.3); the edge keeps retrying with backoff and warns each
 * time with GL_MQTT_AUTH_FAILED and the CONNACK code named. Once the broker accepts the secret,
 * the edge connects and its reading, kept in the log meanwhile, is acknowledged. Its status goes
 * first on the new connection, before the log's batch: the central registers a device's kind from
 * the status, and a batch first would register a charger as a meter for good.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { AuthenticateError } from 'aedes';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdge } from '../src/agent/index.js';
import { startTestBroker, type TestBroker } from '../src/uplink/testing/broker.js';
import { FakeCentral } from '../src/uplink/testing/fake-central.js';
import { listenerPort, udpMeter } from './helpers/push-clients.js';

const EDGE = 'e-creds';
const SECRET = 'the-new-secret-0123';

describe('edge with refused MQTT credentials', () => {
  let broker: TestBroker | undefined;
  let central: FakeCentral | undefined;
  let agent: EdgeAgent | undefined;
  afterAll(async () => {
    await agent?.close();
    await central?.close();
    await broker?.close();
  });

  it('retries forever, warning each time, and connects once the secret is accepted', async () => {
    /** The edge's CONNECT attempts, as the broker sees them. */
    const attempts = new EventEmitter<{ attempt: [number] }>();
    let edgeAttempts = 0;
    let accepted = 'the-old-secret-0123';
    /** The topics the edge published, in the order the broker took them. */
    const published: string[] = [];
    broker = await startTestBroker(0, {
      authorizePublish: (client, packet, done) => {
        if (client?.id === `edge-${EDGE}`) published.push(packet.topic);
        done(null);
      },
      authenticate: (client, _username, password, done) => {
        if (client.id === 'fake-central') return done(null, true);
        edgeAttempts++;
        attempts.emit('attempt', edgeAttempts);
        if (password?.toString() === accepted) return done(null, true);
        const err = new Error('bad user name or password') as AuthenticateError;
        (err as { returnCode: number }).returnCode = 4;
        done(err, null);
      },
    });
    central = await FakeCentral.start({ url: broker.url });

    const lines: Record<string, unknown>[] = [];
    const logged = new EventEmitter<{ line: [Record<string, unknown>] }>();
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const text of chunk.toString().split('\n').filter(Boolean)) {
          const line = JSON.parse(text) as Record<string, unknown>;
          lines.push(line);
          logged.emit('line', line);
        }
        cb();
      },
    });
    const reachedAttempt = (n: number) =>
      new Promise<void>((resolve) => {
        if (edgeAttempts >= n) return resolve();
        const on = (k: number) => {
          if (k < n) return;
          attempts.off('attempt', on);
          resolve();
        };
        attempts.on('attempt', on);
      });
    const refusalsWarned = () => lines.filter((l) => l.connackCode === 4);
    const warned = (n: number) =>
      new Promise<void>((resolve) => {
        if (refusalsWarned().length >= n) return resolve();
        const on = () => {
          if (refusalsWarned().length < n) return;
          logged.off('line', on);
          resolve();
        };
        logged.on('line', on);
      });

    agent = await startEdge(
      {
        edgeId: EDGE,
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-creds-')),
        mqtt: { url: broker.url, password: SECRET },
        log: { sync: false },
        uplink: { maxDelayMs: 0, reconnect: { initialMs: 5, maxMs: 40 } },
        udp: { port: 0 },
        devices: [{ id: 'u1', driver: 'udp-meter', meterId: 'MED-1' }],
      },
      { logger: pino({ level: 'info' }, sink) },
    );

    // Refused again and again: mqtt.js alone would stop after the first CONNACK 4.
    await reachedAttempt(4);
    await warned(4);
    const warning = refusalsWarned()[0];
    expect(warning).toMatchObject({
      level: 40,
      code: 'GL_MQTT_AUTH_FAILED',
      reason: 'bad user name or password',
      component: 'uplink',
    });
    expect(typeof warning?.retryInMs).toBe('number');
    expect(agent.mqtt.connected).toBe(false);
    expect(JSON.stringify(lines)).not.toContain(SECRET);

    // A reading meanwhile stays in the log.
    const meter = await udpMeter(listenerPort(agent, 'udp-meter'));
    expect(
      await meter.ask(JSON.stringify({ meterId: 'MED-1', value: 1.5, timestamp: Date.now() })),
    ).toBe('200');
    await meter.close();

    // The secret is fixed at the broker: the next attempt connects and the reading is acked.
    const acked = new Promise<void>((resolve) => {
      agent?.uplink.on('ack', (a) => {
        if (a.progress && a.upTo >= 1) resolve();
      });
    });
    accepted = SECRET;
    const connected = new Promise<void>((resolve) => agent?.mqtt.once('connect', () => resolve()));
    await Promise.all([connected, acked]);
    expect(central.stored.map((r) => [r.deviceId, r.values])).toEqual([
      ['u1', { energy_interval: 1.5 }],
    ]);
    expect(published.slice(0, 2)).toEqual([
      `gl/v1/edges/${EDGE}/status`,
      `gl/v1/edges/${EDGE}/telemetry`,
    ]);
  });
});
