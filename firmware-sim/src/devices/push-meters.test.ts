import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../clock/index.js';
import { TcpJsonMeterDevice } from './tcp-json-meter-device.js';
import { UdpMeterDevice } from './udp-meter-device.js';

const T0 = Date.UTC(2024, 5, 3, 12, 0, 0); // 09:00:00 in America/Bahia
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A UDP receiver on port 0 that answers 200, as the original server did; yields each datagram. */
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
      return queue.shift()!;
    },
  };
}

describe('UDP meter (SEEDS D)', () => {
  it('sends cpf,meter_id,interval kWh,timestamp per interval; rate, interval and clock skew change at run time', async () => {
    const rx = await udpReceiver();
    const clock = createManualClock(T0);
    const meter = new UdpMeterDevice({
      deviceId: 'udp-meter-1',
      meterId: 'M000001',
      cpf: '52998224725',
      target: { host: '127.0.0.1', port: rx.port },
      clock,
      intervalMs: 60_000,
      rateKW: 1.2,
    });
    cleanups.push(() => meter.close());
    clock.advance(60_000);
    meter.advance(clock.now());
    expect(await rx.next()).toBe('52998224725,M000001,0.020000,2024-06-03 09:01:00');
    meter.setRate({ set: 6 });
    meter.setIntervalMs(10_000);
    clock.advance(10_000);
    meter.advance(clock.now());
    expect(await rx.next()).toBe('52998224725,M000001,0.016667,2024-06-03 09:01:10');
    meter.setFault({ mode: 'clock-skew', offsetMs: -3_600_000 });
    clock.advance(10_000);
    meter.advance(clock.now());
    expect(await rx.next()).toBe('52998224725,M000001,0.016667,2024-06-03 08:01:20');
    // No reply: the reading is not sent, and the truth says how much went unsent.
    meter.setFault({ mode: 'no-reply' });
    clock.advance(10_000);
    meter.advance(clock.now());
    meter.clearFault();
    clock.advance(10_000);
    meter.advance(clock.now());
    expect(await rx.next()).toBe('52998224725,M000001,0.016667,2024-06-03 09:01:40');
    expect(meter.truth()).toMatchObject({
      sent: 4,
      skipped: 1,
      measuredKWh: expect.closeTo(0.02 + 4 * 0.016667, 5),
    });
    expect(() => meter.setFault({ mode: 'bad-crc' })).toThrow(/not supported by a udp-meter/);
  });
});

describe('TCP JSON meter (SEEDS E)', () => {
  it('asks for an id, then sends cumulative readings; rate raise/lower/set, counter reset and tamper show on the wire', async () => {
    const lines: Array<Record<string, unknown>> = [];
    let wake: (() => void) | undefined;
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      let buf = '';
      socket.on('data', (d) => {
        buf += d.toString();
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const msg = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
          buf = buf.slice(nl + 1);
          if (msg.id === 0) socket.write('{"id":42}\n');
          else lines.push(msg);
          wake?.();
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    });
    const next = async () => {
      while (lines.length === 0) await new Promise<void>((r) => (wake = r));
      return lines.shift()!;
    };
    const clock = createManualClock(T0);
    const meter = new TcpJsonMeterDevice({
      deviceId: 'json-meter-1',
      target: { host: '127.0.0.1', port: (server.address() as { port: number }).port },
      clock,
      rateKW: 3.6,
      initialKWh: 100,
    });
    cleanups.push(() => meter.close());
    meter.advance(clock.now());
    expect(await meter.ready()).toBe(42);
    const step = async () => {
      clock.advance(1000);
      meter.advance(clock.now());
      return next();
    };
    expect(await step()).toEqual({
      id: 42,
      consumption: 100.001,
      datetime: '2024-06-03 09:00:01',
      type: '/spent',
    });
    meter.setRate({ factor: 2 }); // raise ×2
    expect((await step()).consumption).toBe(100.003);
    meter.setRate({ set: 0 });
    expect((await step()).consumption).toBe(100.003);
    meter.setRate({ set: 36 });
    meter.setFault({ mode: 'counter-reset' });
    expect((await step()).consumption).toBe(0.01);
    meter.setFault({ mode: 'tamper', backKWh: 0.005 });
    expect((await step()).consumption).toBe(0.015); // 0.02 - 0.005: below the 0.01 + one step
    expect(meter.truth()).toMatchObject({ measuredKWh: expect.closeTo(100.023, 9), sent: 5 });
  });
});
