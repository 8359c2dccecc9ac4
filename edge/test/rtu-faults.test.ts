/**
 * Fault isolation on a real serial line: one RS-485 bus (a socat pty pair, RTU framing at 19200
 * baud), three devices on one link. One device misbehaves; the other two keep every poll over a
 * fixed number of cycles, and the faulty one's errors carry the right code (bad CRC included).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ErrorCode, parseProfile } from '@gridlink/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusRtuLink } from '../src/modbus/index.js';
import { DevicePoller, type PolledReading } from '../src/poller/index.js';
import { crc16, type RtuBehaviour, RtuPeer } from './helpers/rtu-peer.js';
import { haveSocat, ptyPair, stop } from './helpers/tools.js';

const profile = parseProfile({
  id: 'rtu-fault-test',
  vendor: 'test',
  model: 'rtu-peer',
  kind: 'meter',
  reference: 'edge/test/helpers/rtu-peer.ts (register = its address)',
  fields: [
    { name: 'a', quantity: 'q', fn: 4, address: 0, type: 'uint16' },
    { name: 'b', quantity: 'q', fn: 3, address: 40, type: 'uint32' },
  ],
});

const CYCLES = 10;

describe.runIf(haveSocat())('fault isolation on an RTU bus (socat pty)', () => {
  let socat: ChildProcess | undefined;
  let peer: RtuPeer;
  let edgeEnd: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-rtu-faults-'));
    edgeEnd = join(dir, 'edge');
    socat = await ptyPair(edgeEnd, join(dir, 'peer'));
    peer = await RtuPeer.open(join(dir, 'peer'), 19200);
  });
  afterAll(async () => {
    await peer?.close();
    await stop(socat);
  });

  it('CRC-16/MODBUS matches the spec example (Serial Line v1.02 §6.2.2)', () => {
    // Read 1 holding register at 0 from unit 1: 01 03 00 00 00 01 → CRC 84 0A (low byte first).
    expect(crc16(Buffer.from([1, 3, 0, 0, 0, 1]))).toBe(0x0a84);
  });

  const cases: [RtuBehaviour, ErrorCode][] = [
    ['bad-crc', 'GL_MODBUS_CRC'],
    ['silent', 'GL_MODBUS_TIMEOUT'],
    ['exception', 'GL_MODBUS_EXCEPTION'],
    // On RTU the buffered port hunts for a frame from the addressed unit and drops others, and
    // waits for a full frame: a reply from another unit or a short reply ends as a timeout.
    // Either way an error for that device, never a value.
    ['wrong-unit', 'GL_MODBUS_TIMEOUT'],
    ['short', 'GL_MODBUS_TIMEOUT'],
  ];
  for (const [behaviour, code] of cases) {
    it(`a device that is ${behaviour}: the others keep every poll; errors are ${code}`, async () => {
      peer.set(3, behaviour);
      const link = new ModbusRtuLink({
        path: edgeEnd,
        baudRate: 19200,
        dataBits: 8,
        parity: 'none',
        stopBits: 1,
      });
      const readings: PolledReading[] = [];
      const pollers = [1, 2, 3].map(
        (unitId) =>
          new DevicePoller({
            device: {
              id: `d${unitId}`,
              unitId,
              intervalMs: 1000,
              // The faulty unit: a short timeout where the fault is silence, a generous one where it
              // answers (exception, bad CRC), so a loaded machine cannot turn its answer into a timeout.
              timeoutMs: unitId === 3 && !['exception', 'bad-crc'].includes(behaviour) ? 150 : 5000,
              retries: 1,
              offlineAfter: 3,
              maxGap: 10,
            },
            profile,
            link,
            onReading: (r) => readings.push(r),
            logger: pino({ level: 'silent' }),
          }),
      );
      try {
        for (let i = 0; i < CYCLES; i++) await Promise.all(pollers.map((p) => p.pollOnce()));
        for (const id of ['d1', 'd2']) {
          const mine = readings.filter((r) => r.deviceId === id);
          expect(
            mine.filter(
              (r) => r.quality === 'good' && r.values.a === 0 && r.values.b === (40 << 16) + 41,
            ),
          ).toHaveLength(CYCLES);
        }
        expect(readings.filter((r) => r.deviceId === 'd3')).toHaveLength(0);
        const faulty = pollers[2] as DevicePoller;
        expect(Object.keys(faulty.errorCounts)).toEqual([code]);
        expect(faulty.health.failures).toBe(CYCLES);
        expect(link.stats()).toMatchObject({ kind: 'modbus-rtu', ok: 2 * CYCLES * 2 });
      } finally {
        peer.set(3, 'ok');
        await link.close();
      }
    });
  }
});
