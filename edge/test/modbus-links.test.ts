import { getProfile } from '@gridlink/shared';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { interFrameGapMs, ModbusTcpLink, TransactionQueue } from '../src/modbus/index.js';
import { DevicePoller, type PolledReading } from '../src/poller/index.js';
import { ModbusTcpPeer } from './helpers/modbus-peer.js';

describe('links and the bus arbiter', () => {
  it('a queue with concurrency N runs N at once and still puts commands first', async () => {
    const q = new TransactionQueue({ concurrency: 2 });
    const order: string[] = [];
    let active = 0;
    let maxActive = 0;
    const gates: (() => void)[] = [];
    const job = (name: string) => () =>
      new Promise<void>((resolve) => {
        active++;
        maxActive = Math.max(maxActive, active);
        order.push(name);
        gates.push(() => {
          active--;
          resolve();
        });
      });
    const all = [q.run('poll', job('p1')), q.run('poll', job('p2')), q.run('poll', job('p3'))];
    all.push(q.run('command', job('c1')));
    expect(q.active).toBe(2);
    while (gates.length > 0 || q.active > 0) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(all);
    expect(maxActive).toBe(2);
    expect(order).toEqual(['p1', 'p2', 'c1', 'p3']);
  });

  it('a native TCP device takes maxInFlight requests at once on one connection', async () => {
    const peer = new ModbusTcpPeer();
    await peer.listen();
    // The peer answers only once 4 requests are outstanding: proof that 4 are in flight.
    peer.set(1, { kind: 'gate', count: 4 });
    const link = new ModbusTcpLink('127.0.0.1', peer.port, { maxInFlight: 4 });
    try {
      const reads = [0, 10, 20, 30].map((start) =>
        link.read({ unitId: 1, fn: 3, start, count: 2, timeoutMs: 5000 }),
      );
      const out = await Promise.all(reads);
      expect(out.map((b) => b.readUInt16BE(0))).toEqual([0, 10, 20, 30]);
      expect(peer.maxOutstanding).toBe(4);
      expect(link.stats()).toMatchObject({ transactions: 4, ok: 4, inFlight: 0 });
    } finally {
      await link.close();
      await peer.close();
    }
  });

  it('a poll of a native device with maxInFlight > 1 has all its blocks in flight at once', async () => {
    const peer = new ModbusTcpPeer();
    await peer.listen();
    // SDM630 reads as two blocks; the peer answers only once both are outstanding.
    peer.set(1, { kind: 'gate', count: 2 });
    const link = new ModbusTcpLink('127.0.0.1', peer.port, { maxInFlight: 2 });
    const readings: PolledReading[] = [];
    const poller = new DevicePoller({
      device: {
        id: 'native',
        unitId: 1,
        intervalMs: 1000,
        timeoutMs: 5000,
        retries: 0,
        offlineAfter: 3,
        maxGap: 10,
      },
      profile: getProfile('eastron-sdm630'),
      link,
      onReading: (r) => readings.push(r),
      logger: pino({ level: 'silent' }),
    });
    try {
      expect(poller.blocks).toHaveLength(2);
      await poller.pollOnce();
      expect(peer.maxOutstanding).toBe(2);
      expect(readings).toHaveLength(1);
      expect(readings[0]?.quality).toBe('good');
      expect(poller.health).toMatchObject({ online: true, failures: 0 });
    } finally {
      await link.close();
      await peer.close();
    }
  });

  it('a gateway link (maxInFlight 1) never has two requests outstanding', async () => {
    const peer = new ModbusTcpPeer();
    await peer.listen();
    const link = new ModbusTcpLink('127.0.0.1', peer.port);
    try {
      await Promise.all(
        [1, 2, 3, 4, 5].map((unitId) =>
          link.read({ unitId, fn: 4, start: 0, count: 10, timeoutMs: 5000 }),
        ),
      );
      expect(peer.requests.map((r) => r.unitId)).toEqual([1, 2, 3, 4, 5]);
      expect(peer.maxOutstanding).toBe(1);
    } finally {
      await link.close();
      await peer.close();
    }
  });

  it('inter-frame gap is 3.5 character times, 1.75 ms above 19200 baud (Serial Line §2.5.1.1)', () => {
    expect(interFrameGapMs(9600)).toBeCloseTo(4.0104, 3);
    expect(interFrameGapMs(19200)).toBeCloseTo(2.0052, 3);
    expect(interFrameGapMs(115200)).toBe(1.75);
  });
});
