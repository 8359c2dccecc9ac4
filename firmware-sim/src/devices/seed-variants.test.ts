/**
 * The seed meters' wire variants (SEEDS D/E, issue #19): datagram and timestamp forms, bare JSON
 * objects without newlines, a hello with a known id, and a power cycle that asks `{"id":0}` again
 * and counts from 0. Real sockets on port 0; the meters' clock is a manual one.
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../clock/index.js';
import { parseScenario } from '../fleet/index.js';
import { TcpJsonMeterDevice } from './tcp-json-meter-device.js';
import { UdpMeterDevice } from './udp-meter-device.js';

const T0 = Date.UTC(2025, 11, 5, 13, 0, 0); // 10:00:00 in America/Bahia
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function udpReceiver() {
  const socket = createSocket('udp4');
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  socket.on('message', (msg, rinfo) => {
    queue.push(msg.toString());
    socket.send('200', rinfo.port, rinfo.address);
    wake?.();
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  cleanups.push(() => new Promise<void>((r) => socket.close(() => r())));
  return {
    port: socket.address().port,
    async next(): Promise<string> {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      return queue.shift() as string;
    },
  };
}

/** A TCP server that records every byte each connection sends and answers hellos with ids. */
async function tcpServer(answer: (hello: string, n: number) => string) {
  const connections: { bytes: string; socket: Socket }[] = [];
  let wake: (() => void) | undefined;
  const server = createServer((socket) => {
    const c = { bytes: '', socket };
    connections.push(c);
    let answered = false;
    socket.on('data', (chunk) => {
      c.bytes += chunk.toString();
      if (!answered && c.bytes.includes('}')) {
        answered = true;
        socket.write(answer(c.bytes.slice(0, c.bytes.indexOf('}') + 1), connections.length));
      }
      wake?.();
    });
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    for (const c of connections) c.socket.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return {
    port: (server.address() as { port: number }).port,
    connections,
    async until(test: () => boolean): Promise<void> {
      while (!test()) await new Promise<void>((r) => (wake = r));
    },
  };
}

describe('seed D meter: datagram and timestamp forms', () => {
  it('csv or the seed JSON names; wall, epoch, time.time() float or epoch ms', async () => {
    const rx = await udpReceiver();
    const sent: string[] = [];
    for (const [format, timestamp] of [
      ['csv', 'epoch-float'],
      ['seed-json', 'epoch-float'],
      ['seed-json', 'wall'],
      ['csv', 'epoch'],
      ['csv', 'epoch-ms'],
    ] as const) {
      const clock = createManualClock(T0);
      const meter = new UdpMeterDevice({
        deviceId: 'm',
        meterId: '1',
        cpf: '52998224725',
        target: { host: '127.0.0.1', port: rx.port },
        clock,
        intervalMs: 1500,
        rateKW: 2.4,
        format,
        timestamp,
      });
      cleanups.push(() => meter.close());
      clock.advance(1500);
      meter.advance(clock.now());
      sent.push(await rx.next());
    }
    expect(sent).toEqual([
      '52998224725,1,0.001000,1764939601.500000',
      '{"id":"52998224725","id_medidor":1,"valor":0.001000,"timestamp":1764939601.500000}',
      '{"id":"52998224725","id_medidor":1,"valor":0.001000,"timestamp":"2025-12-05 10:00:01"}',
      '52998224725,1,0.001000,1764939601',
      '52998224725,1,0.001000,1764939601500',
    ]);
    // Each JSON form is JSON.
    for (const s of sent.filter((x) => x.startsWith('{')))
      expect(() => JSON.parse(s)).not.toThrow();
  });
});

describe('seed E meter: bare objects, known ids, power cycles', () => {
  it('without newlines it writes bare objects; a power cycle asks {"id":0} again and counts from 0', async () => {
    const server = await tcpServer((_hello, n) => `${JSON.stringify({ id: 40 + n })}\n`);
    const clock = createManualClock(T0);
    const meter = new TcpJsonMeterDevice({
      deviceId: 'json-1',
      target: { host: '127.0.0.1', port: server.port },
      clock,
      rateKW: 3.6,
      initialKWh: 5,
      newline: false,
    });
    cleanups.push(() => meter.close());
    meter.advance(clock.now());
    expect(await meter.ready()).toBe(41);
    for (let i = 0; i < 2; i++) {
      clock.advance(1000);
      meter.advance(clock.now());
    }
    await server.until(() => (server.connections[0]?.bytes.match(/\/spent/g) ?? []).length === 2);
    expect(server.connections[0]?.bytes).toBe(
      '{"id":0}' +
        '{"id":41,"consumption":5.001,"datetime":"2025-12-05 10:00:01","type":"/spent"}' +
        '{"id":41,"consumption":5.002,"datetime":"2025-12-05 10:00:02","type":"/spent"}',
    );

    meter.restart();
    expect(await meter.ready()).toBe(42);
    expect(meter.id).toBe(42);
    clock.advance(1000);
    meter.advance(clock.now());
    await server.until(() => (server.connections[1]?.bytes.includes('/spent') ?? false) === true);
    // A new connection, a new hello, and the register restarted from 0.
    expect(server.connections[1]?.bytes).toBe(
      '{"id":0}{"id":42,"consumption":0.001,"datetime":"2025-12-05 10:00:03","type":"/spent"}',
    );
    expect(
      server.connections[0]?.socket.destroyed || server.connections[0]?.socket.readableEnded,
    ).toBeTruthy();
  });

  it('a meter bound to a configured id says it in its hello', async () => {
    const server = await tcpServer((hello) => `${hello}\n`);
    const clock = createManualClock(T0);
    const meter = new TcpJsonMeterDevice({
      deviceId: 'json-7',
      target: { host: '127.0.0.1', port: server.port },
      clock,
      rateKW: 1,
      helloId: 7,
    });
    cleanups.push(() => meter.close());
    meter.advance(clock.now());
    expect(await meter.ready()).toBe(7);
    expect(server.connections[0]?.bytes).toBe('{"id":7}\n');
  });

  it('fleet scenario keys: formats and timestamps for UDP meters, ids and newline for TCP ones', () => {
    const s = parseScenario({
      udpMeters: { count: 2, target: { port: 1 }, format: 'seed-json', timestamp: 'epoch-float' },
      tcpJsonMeters: { count: 2, target: { port: 2 }, ids: [11, 12], newline: false },
    });
    expect(s.udpMeters).toMatchObject({ format: 'seed-json', timestamp: 'epoch-float' });
    expect(s.tcpJsonMeters).toMatchObject({ ids: [11, 12], newline: false });
    expect(() =>
      parseScenario({ tcpJsonMeters: { count: 2, target: { port: 2 }, ids: [1] } }),
    ).toThrow(/tcpJsonMeters\.ids: must be a list of 2 meter ids/);
    expect(() =>
      parseScenario({ udpMeters: { count: 1, target: { port: 1 }, timestamp: 'iso' } }),
    ).toThrow(/udpMeters\.timestamp: must be one of wall, epoch, epoch-float, epoch-ms/);
  });
});
