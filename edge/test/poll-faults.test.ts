/**
 * Fault isolation on one link: three devices behind one Modbus TCP gateway (one serial line, one
 * transaction at a time). One device misbehaves on purpose; the other two must keep every poll
 * — counted over a fixed number of poll cycles, not timed — and the faulty device's errors are
 * counted under the right catalog code, never turned into values.
 */
import { type ErrorCode, parseProfile } from '@gridlink/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusTcpLink } from '../src/modbus/index.js';
import { DevicePoller, type PolledReading, type PollSettings } from '../src/poller/index.js';
import { type Behaviour, ModbusTcpPeer } from './helpers/modbus-peer.js';

const profile = parseProfile({
  id: 'fault-test',
  vendor: 'test',
  model: 'peer',
  kind: 'meter',
  reference: 'edge/test/helpers/modbus-peer.ts (register = its address)',
  fields: [
    { name: 'a', quantity: 'q', fn: 4, address: 0, type: 'uint16' },
    { name: 'b', quantity: 'q', fn: 4, address: 2, type: 'uint16' },
    { name: 'c', quantity: 'q', fn: 4, address: 300, type: 'uint16' },
  ],
});

const CYCLES = 20;
const logger = pino({ level: 'silent' });

const settings = (unitId: number): PollSettings => ({
  id: `dev${unitId}`,
  unitId,
  intervalMs: 1000,
  // Configuration, not an assertion: short for the faulty unit, roomy for the good ones.
  timeoutMs: unitId === 3 ? 100 : 5000,
  retries: 1,
  offlineAfter: 3,
  maxGap: 10,
});

interface Rig {
  link: ModbusTcpLink;
  pollers: DevicePoller[];
  readings: Map<string, PolledReading[]>;
}

function rig(port: number): Rig {
  const link = new ModbusTcpLink('127.0.0.1', port);
  const readings = new Map<string, PolledReading[]>();
  const pollers = [1, 2, 3].map(
    (unit) =>
      new DevicePoller({
        device: settings(unit),
        profile,
        link,
        onReading: (r) => readings.set(r.deviceId, [...(readings.get(r.deviceId) ?? []), r]),
        logger,
      }),
  );
  return { link, pollers, readings };
}

/** One poll cycle: every device's poll issued at once, as their ticks would. */
async function cycles(r: Rig, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.all(r.pollers.map((p) => p.pollOnce()));
}

const good = (r: Rig, id: string) =>
  (r.readings.get(id) ?? []).filter(
    (x) => x.quality === 'good' && x.values.a === 0 && x.values.b === 2 && x.values.c === 300,
  ).length;

describe('fault isolation on a shared gateway link', () => {
  const peer = new ModbusTcpPeer();
  let baseline = 0;

  beforeAll(async () => {
    await peer.listen();
    const r = rig(peer.port);
    await cycles(r, CYCLES);
    baseline = good(r, 'dev1') + good(r, 'dev2');
    await r.link.close();
  });
  afterAll(() => peer.close());

  it('fault-free run: every device gets every poll', () => {
    expect(baseline).toBe(2 * CYCLES);
  });

  const cases: [string, Behaviour, ErrorCode][] = [
    ['times out', { kind: 'timeout' }, 'GL_MODBUS_TIMEOUT'],
    ['answers exception 04', { kind: 'exception', code: 4 }, 'GL_MODBUS_EXCEPTION'],
    ['answers exception 0B', { kind: 'exception', code: 11 }, 'GL_MODBUS_EXCEPTION'],
    ['answers as another unit', { kind: 'wrong-unit' }, 'GL_MODBUS_BAD_FRAME'],
    ['sends a short reply', { kind: 'short' }, 'GL_MODBUS_BAD_FRAME'],
  ];

  for (const [what, behaviour, code] of cases) {
    it(`a device that ${what}: the others keep ≥ 90 % of the fault-free polls; errors are ${code}`, async () => {
      peer.set(3, behaviour);
      const r = rig(peer.port);
      try {
        await cycles(r, CYCLES);
        const kept = good(r, 'dev1') + good(r, 'dev2');
        expect(kept / baseline).toBeGreaterThanOrEqual(0.9);
        expect(kept).toBe(baseline);
        const faulty = r.pollers[2] as DevicePoller;
        expect(r.readings.get('dev3')).toBeUndefined();
        expect(faulty.health).toMatchObject({ online: false, failures: CYCLES, polls: CYCLES });
        expect(faulty.health.lastError).toMatch(new RegExp(`^${code}: `));
        const counts = faulty.errorCounts;
        expect(Object.keys(counts)).toEqual([code]);
        // Offline after 3 failures: from then on one probe block per poll, no retries.
        expect(counts[code]).toBe(3 * 2 + (CYCLES - 3));
        const stats = r.link.stats();
        const field = {
          GL_MODBUS_TIMEOUT: 'timeouts',
          GL_MODBUS_EXCEPTION: 'exceptions',
          GL_MODBUS_BAD_FRAME: 'badFrames',
        }[code as string] as 'timeouts' | 'exceptions' | 'badFrames';
        expect(stats[field]).toBeGreaterThanOrEqual(3 * 2 + (CYCLES - 3));
        expect(stats.ok).toBe(2 * CYCLES * 2);

        // Fault cleared: the device comes back by itself on its next poll.
        peer.set(3, { kind: 'ok' });
        await cycles(r, 1);
        expect(faulty.health.online).toBe(true);
        expect(good(r, 'dev3')).toBe(1);
      } finally {
        peer.set(3, { kind: 'ok' });
        await r.link.close();
      }
    });
  }

  it('a device that refuses block reads (exception 02) falls back to per-field reads', async () => {
    peer.set(3, { kind: 'no-blocks' });
    const r = rig(peer.port);
    try {
      await cycles(r, 2);
      const dev3 = r.readings.get('dev3') ?? [];
      // First poll: block 0..2 refused, c read → uncertain; then per-field reads → good.
      expect(dev3.map((x) => x.quality)).toEqual(['uncertain', 'good']);
      expect(dev3[1]?.values).toEqual({ a: 0, b: 2, c: 300 });
      expect(r.pollers[2]?.blocks.map((b) => [b.start, b.count])).toEqual([
        [0, 1],
        [2, 1],
        [300, 1],
      ]);
    } finally {
      peer.set(3, { kind: 'ok' });
      await r.link.close();
    }
  });
});
