/**
 * The router on real brokers: a plain aedes on port 0 with real mqtt.js clients, once through the
 * service client (external-broker mode, clientLink) and once in-process (aedesLink).
 */
import { type AddressInfo, createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aedesLink, type BrokerLink, clientLink } from './broker-link.js';
import { TopicRouter } from './topic-router.js';

interface Line {
  level: number;
  msg: string;
  [key: string]: unknown;
}

describe('topic router', () => {
  let aedes: Aedes;
  let server: Server;
  let url: string;
  const clients: MqttClient[] = [];
  const connect = async () => {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    aedes = await Aedes.createBroker();
    server = createServer(aedes.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const routerOn = (link: BrokerLink) => {
    const lines: Line[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
        cb();
      },
    });
    const registry = new Registry();
    const unrouted = new Counter({ name: 'unrouted', help: 'x', registers: [registry] });
    const router = new TopicRouter({ link, logger: pino({ level: 'debug' }, sink), unrouted });
    const count = async () => (await unrouted.get()).values[0]?.value ?? 0;
    return { router, lines, count };
  };

  const collect = () => {
    const got: Array<[string, string]> = [];
    return { got, handler: (topic: string, p: Buffer) => void got.push([topic, p.toString()]) };
  };

  it('through the service client: routes by filter; another subscription of the session is counted, never handled', async () => {
    const service = await connect();
    const { router, lines, count } = routerOn(clientLink(service));
    const telemetry = collect();
    const status = collect();
    await router.register('gl/v1/edges/+/telemetry', telemetry.handler);
    await router.register('gl/v1/edges/+/status', status.handler);
    await router.start();
    // A subscription the router does not own, made on the same session (what a second subscriber
    // on the service client looked like to the old ingest: bad telemetry).
    await service.subscribeAsync('cars/#', { qos: 1 });

    const edge = await connect();
    await edge.publishAsync('gl/v1/edges/e-1/telemetry', 'batch-1', { qos: 1 });
    await edge.publishAsync('cars/car-1/status', 'car', { qos: 1 });
    await edge.publishAsync('gl/v1/edges/e-1/status', 'status-1', { qos: 1 });
    await edge.publishAsync('gl/v1/edges/e-2/telemetry', 'batch-2', { qos: 1 });

    await expect.poll(() => telemetry.got.length).toBe(2);
    await expect.poll(() => status.got.length).toBe(1);
    await expect.poll(count).toBe(1);
    expect(telemetry.got).toEqual([
      ['gl/v1/edges/e-1/telemetry', 'batch-1'],
      ['gl/v1/edges/e-2/telemetry', 'batch-2'],
    ]);
    expect(status.got).toEqual([['gl/v1/edges/e-1/status', 'status-1']]);
    const debug = lines.filter((l) => l.msg === 'MQTT message on no routed topic');
    expect(debug).toEqual([expect.objectContaining({ level: 20, topic: 'cars/car-1/status' })]);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    await router.stop();
  });

  it('in-process on aedes: each subscription names its handler; a filter registered after start is subscribed at once', async () => {
    const { router, count } = routerOn(aedesLink(aedes));
    const telemetry = collect();
    await router.register('gl/v1/edges/+/telemetry', telemetry.handler);
    await router.start();
    const results = collect();
    await router.register('gl/v1/edges/+/commands/result', results.handler);
    expect(router.filters()).toEqual(['gl/v1/edges/+/telemetry', 'gl/v1/edges/+/commands/result']);

    const edge = await connect();
    await edge.publishAsync('gl/v1/edges/e-1/commands/result', 'r-1', { qos: 1 });
    await edge.publishAsync('gl/v1/edges/e-1/telemetry', 'b-1', { qos: 1 });
    await edge.publishAsync('gl/v1/edges/e-1/commands', 'not subscribed', { qos: 1 });
    await expect.poll(() => telemetry.got).toEqual([['gl/v1/edges/e-1/telemetry', 'b-1']]);
    await expect.poll(() => results.got).toEqual([['gl/v1/edges/e-1/commands/result', 'r-1']]);
    expect(await count()).toBe(0);

    // After stop, nothing is delivered.
    await router.stop();
    await edge.publishAsync('gl/v1/edges/e-1/telemetry', 'b-2', { qos: 1 });
    const probe = await connect();
    await probe.subscribeAsync('gl/v1/edges/+/telemetry', { qos: 1 });
    const seen = new Promise<void>((resolve) => probe.once('message', () => resolve()));
    await edge.publishAsync('gl/v1/edges/e-1/telemetry', 'b-3', { qos: 1 });
    await seen; // aedes delivered b-3 to a subscriber, not to the stopped router
    expect(telemetry.got).toHaveLength(1);
  });

  it('refuses an invalid filter and one that overlaps a registered filter (GL_TOPIC_INVALID)', async () => {
    const { router } = routerOn(aedesLink(aedes));
    await router.register('gl/v1/edges/+/telemetry', () => {});
    await expect(router.register('gl/v1/#', () => {})).rejects.toMatchObject({
      code: 'GL_TOPIC_INVALID',
      message: 'topic filter gl/v1/# overlaps gl/v1/edges/+/telemetry, which already has a handler',
    });
    await expect(router.register('gl/v1/edges/e-1/telemetry', () => {})).rejects.toMatchObject({
      code: 'GL_TOPIC_INVALID',
    });
    await expect(router.register('gl/v1/edges/x#', () => {})).rejects.toMatchObject({
      code: 'GL_TOPIC_INVALID',
    });
    expect(router.filters()).toEqual(['gl/v1/edges/+/telemetry']);
  });

  it('logs a handler that throws and keeps routing', async () => {
    const { router, lines } = routerOn(aedesLink(aedes));
    const got = collect();
    let calls = 0;
    await router.register('t/+', (topic, payload) => {
      calls++;
      if (calls === 1) throw new Error('boom');
      got.handler(topic, payload);
    });
    await router.start();
    const c = await connect();
    await c.publishAsync('t/1', 'one', { qos: 1 });
    await c.publishAsync('t/2', 'two', { qos: 1 });
    await expect.poll(() => got.got).toEqual([['t/2', 'two']]);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 50,
        code: 'GL_INTERNAL',
        topic: 't/1',
        msg: 'topic handler threw',
      }),
    );
    await router.stop();
  });
});
