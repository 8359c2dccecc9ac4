import { createConnection } from 'node:net';
import { Writable } from 'node:stream';
import { FakeClock } from '@gridlink/shared';
import { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../src/broker/index.js';
import { createCentralMetrics } from '../src/metrics/index.js';
import type { LogLine } from './helpers/central.js';

/**
 * New connections per source address, on a real aedes on port 0 with real MQTT.js clients from
 * two loopback addresses (127.0.0.1 and 127.0.0.2; Linux routes all of 127/8 to lo). The clock is
 * fake: the bucket refills only when the test moves it.
 */
describe('MQTT connection rate per source address (embedded broker)', () => {
  let broker: EmbeddedBroker;
  const clock = new FakeClock(1_000_000);
  const metrics = createCentralMetrics();
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      cb();
    },
  });
  const open: MqttClient[] = [];

  beforeAll(async () => {
    broker = await startEmbeddedBroker({
      port: 0,
      authenticate: async (u, p) =>
        u === 'svc' && p === 'secret' ? { kind: 'service', name: 'rate' } : undefined,
      maxPayloadBytes: 1 << 20,
      limits: { connectRate: { burst: 3, perSecond: 1, logIntervalMs: 60_000 } },
      metrics,
      clock,
      logger: pino({ level: 'debug' }, sink),
    });
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.endAsync(true)));
    await broker.close();
  });

  /** One MQTT.js connection attempt from `localAddress`: served, or dropped by the broker. */
  const attempt = (localAddress: string) =>
    new Promise<'connected' | 'dropped'>((resolve) => {
      const client = new MqttClient(
        () => createConnection({ host: '127.0.0.1', port: broker.bound.port, localAddress }),
        {
          username: 'svc',
          password: 'secret',
          clientId: `rate-${open.length}`,
          reconnectPeriod: 0,
          protocolVersion: 4,
        },
      );
      open.push(client);
      client.on('error', () => undefined);
      client.once('connect', () => resolve('connected'));
      client.once('close', () => resolve('dropped'));
    });
  const refusedCount = async () =>
    (await metrics.mqttRefused.get()).values.find((v) => v.labels.reason === 'rate_limited')
      ?.value ?? 0;
  const rateLines = () => lines.filter((l) => l.code === 'GL_RATE_LIMITED');

  it('a burst from one address is cut at the bucket; other addresses keep connecting', async () => {
    for (let i = 0; i < 3; i++) expect(await attempt('127.0.0.1')).toBe('connected');
    for (let i = 0; i < 4; i++) expect(await attempt('127.0.0.1')).toBe('dropped');
    expect(await refusedCount()).toBe(4);
    // Logged once for the four, in this interval.
    expect(rateLines()).toEqual([
      expect.objectContaining({ address: '127.0.0.1', refused: 1, level: 40 }),
    ]);
    // Another source address has a bucket of its own.
    expect(await attempt('127.0.0.2')).toBe('connected');
  });

  it('the bucket refills with the clock: one connection per second', async () => {
    clock.advance(1000);
    expect(await attempt('127.0.0.1')).toBe('connected');
    expect(await attempt('127.0.0.1')).toBe('dropped');
    clock.advance(2500);
    expect(await attempt('127.0.0.1')).toBe('connected');
    expect(await attempt('127.0.0.1')).toBe('connected');
    expect(await attempt('127.0.0.1')).toBe('dropped');
  });

  it('the next log line comes after the interval and counts the refusals in between', async () => {
    expect(rateLines()).toHaveLength(1);
    clock.advance(60_000); // the bucket is full again (3), the log interval has passed
    for (let i = 0; i < 3; i++) expect(await attempt('127.0.0.1')).toBe('connected');
    expect(await attempt('127.0.0.1')).toBe('dropped');
    // Refusals since the first line: the first test's other 3, the second test's 2, this one.
    expect(rateLines().at(-1)).toMatchObject({ address: '127.0.0.1', refused: 6 });
    expect(rateLines()).toHaveLength(2);
  });
});
