import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../clock/index.js';
import { type Fleet, parseScenario, startFleet } from './index.js';
import { PushPacer } from './push-pacer.js';

const T0 = Date.UTC(2024, 5, 3, 12, 0, 0);
let fleet: Fleet | undefined;
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
  for (const c of closers.splice(0)) await c();
});

async function receiver() {
  const socket = createSocket('udp4');
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  socket.on('message', (msg) => {
    queue.push(msg.toString());
    wake?.();
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  closers.push(() => new Promise<void>((r) => socket.close(() => r())));
  return {
    port: socket.address().port,
    async next(): Promise<string> {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      return queue.shift()!;
    },
  };
}

const sentBy = (f: Fleet) =>
  [...f.devices.values()].map((d) => (d.truth() as { sent: number }).sent);
const sent = (f: Fleet) => sentBy(f).reduce((a, b) => a + b, 0);

describe('UDP meters spread their sends over the interval (no burst per tick)', () => {
  it('10 meters at 1 s: each 100 ms step sends exactly one datagram, meter by meter', async () => {
    const rx = await receiver();
    const clock = createManualClock(T0);
    fleet = await startFleet(
      parseScenario({
        udpMeters: { count: 10, target: { port: rx.port }, intervalMs: 1000 },
      }),
      { clock },
    );
    for (let round = 0; round < 2; round++) {
      for (let k = 1; k <= 10; k++) {
        // The fleet's pace timer runs on the injected clock: the step itself sends.
        clock.advance(100);
        expect(fleet.pace()).toBe(0);
        expect((await rx.next()).split(',')[1]).toBe(`M${String(k).padStart(6, '0')}`);
        expect(sentBy(fleet)).toEqual(
          Array.from({ length: 10 }, (_, i) => (i < k ? round + 1 : round)),
        );
      }
    }
  });

  it('1,000 meters at 1 s (the observed burst): 10 datagrams per 10 ms, never more', async () => {
    const rx = await receiver();
    const clock = createManualClock(T0);
    fleet = await startFleet(
      parseScenario({
        udpMeters: { count: 1000, target: { port: rx.port }, intervalMs: 1000 },
      }),
      { clock },
    );
    const perStep: number[] = [];
    for (let t = 0, before = 0; t < 2000; t += 10) {
      clock.advance(10);
      perStep.push(sent(fleet) - before);
      before = sent(fleet);
    }
    expect(perStep).toEqual(Array(200).fill(10));
    expect(sentBy(fleet).every((n) => n === 2)).toBe(true);
  });

  it('the pacer takes a changed interval into account (stale heap entries are re-queued)', () => {
    const clock = createManualClock(0);
    const due: number[] = [];
    const device = {
      next: 100,
      get nextReadingMs() {
        return this.next;
      },
      advance(now: number) {
        while (this.next <= now) {
          due.push(this.next);
          this.next += 100;
        }
      },
    };
    const pacer = new PushPacer([device]);
    expect(pacer.run(clock.now())).toBe(0);
    expect(pacer.run(100)).toBe(1);
    device.next = 500; // e.g. the fleet tick advanced it, or its interval grew
    expect(pacer.run(300)).toBe(0);
    expect(pacer.run(500)).toBe(1);
    expect(due).toEqual([100, 500]);
    expect(pacer.size).toBe(1);
  });
});
