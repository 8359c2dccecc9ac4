/**
 * Interoperability with an independent Modbus implementation: Debian's python3-pymodbus serves
 * values whose register words Python's `struct` produced (edge/test/fixtures/pymodbus-peer.py).
 * The edge reads them through its links, block planner, poller and codec, over Modbus TCP and
 * over a real serial line (a socat pty pair, RTU framing).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseProfile } from '@gridlink/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModbusLink, ModbusRtuLink, ModbusTcpLink } from '../src/modbus/index.js';
import { DevicePoller, type PolledReading } from '../src/poller/index.js';
import { havePymodbus, haveSocat, PYTHON, ptyPair, spawnJsonReady, stop } from './helpers/tools.js';

const peerScript = fileURLToPath(new URL('./fixtures/pymodbus-peer.py', import.meta.url));

/** Mirrors the peer's INPUT and HOLDING tables. */
const profile = parseProfile({
  id: 'pymodbus-peer',
  vendor: 'test',
  model: 'pymodbus',
  kind: 'meter',
  reference: 'edge/test/fixtures/pymodbus-peer.py',
  fields: [
    { name: 'f32_abcd', quantity: 'q', fn: 4, address: 0, type: 'float32', order: 'ABCD' },
    { name: 'f32_cdab', quantity: 'q', fn: 4, address: 2, type: 'float32', order: 'CDAB' },
    { name: 'i16', quantity: 'q', fn: 4, address: 10, type: 'int16' },
    { name: 'u32_abcd', quantity: 'q', fn: 4, address: 12, type: 'uint32', order: 'ABCD' },
    { name: 'u32_cdab', quantity: 'q', fn: 4, address: 14, type: 'uint32', order: 'CDAB' },
    { name: 'f64_abcd', quantity: 'q', fn: 4, address: 16, type: 'float64', order: 'ABCD' },
    { name: 'f32_dcba', quantity: 'q', fn: 3, address: 100, type: 'float32', order: 'DCBA' },
    { name: 'i16_scaled', quantity: 'q', fn: 3, address: 102, type: 'int16', scale: 0.1 },
    { name: 'u32_badc', quantity: 'q', fn: 3, address: 104, type: 'uint32', order: 'BADC' },
    { name: 'u16', quantity: 'q', fn: 3, address: 106, type: 'uint16' },
  ],
});

const expected = {
  f32_abcd: 230.5,
  f32_cdab: 49.75,
  i16: -1234,
  u32_abcd: 4_000_000_000,
  u32_cdab: 123_456_789,
  f64_abcd: 98765.4321,
  f32_dcba: -1.5,
  i16_scaled: 32.1,
  u32_badc: 0x12345678,
  u16: 60000,
};

const logger = pino({ level: 'silent' });

async function pollThrough(link: ModbusLink): Promise<PolledReading> {
  const readings: PolledReading[] = [];
  const poller = new DevicePoller({
    device: {
      id: 'py1',
      unitId: 7,
      intervalMs: 1000,
      timeoutMs: 2000,
      retries: 0,
      offlineAfter: 3,
      maxGap: 10,
    },
    profile,
    link,
    onReading: (r) => readings.push(r),
    logger,
  });
  await poller.pollOnce();
  expect(poller.health.lastError).toBeNull();
  expect(readings).toHaveLength(1);
  return readings[0] as PolledReading;
}

function expectPeerValues(reading: PolledReading): void {
  expect(reading.quality).toBe('good');
  const { values } = reading;
  expect(Object.keys(values).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, v] of Object.entries(expected)) expect(values[name]).toBeCloseTo(v, 6);
  // Exact where the type is exact.
  expect(values.u32_abcd).toBe(4_000_000_000);
  expect(values.f64_abcd).toBe(98765.4321);
}

describe.runIf(havePymodbus())('pymodbus server over Modbus TCP', () => {
  let peer: ChildProcess | undefined;
  let link: ModbusTcpLink;

  beforeAll(async () => {
    const { child, ready } = await spawnJsonReady<{ port: number }>(PYTHON, [
      peerScript,
      'tcp',
      '0',
    ]);
    peer = child;
    link = new ModbusTcpLink('127.0.0.1', ready.port);
  });
  afterAll(async () => {
    await link?.close();
    await stop(peer);
  });

  it('reads every type and word order the peer serves, in coalesced blocks', async () => {
    expectPeerValues(await pollThrough(link));
    // Two function codes, two blocks: input registers 0..19 and holding registers 100..107.
    expect(link.stats()).toMatchObject({ transactions: 2, ok: 2, timeouts: 0 });
  });

  it('an unknown unit id is an error for that device, not a value', async () => {
    const poller = new DevicePoller({
      device: {
        id: 'nobody',
        unitId: 9,
        intervalMs: 1000,
        timeoutMs: 500,
        retries: 0,
        offlineAfter: 1,
        maxGap: 10,
      },
      profile,
      link,
      onReading: () => expect.unreachable(),
      logger,
    });
    await poller.pollOnce();
    expect(poller.health.failures).toBe(1);
    expect(poller.health.lastError).toMatch(/^GL_MODBUS_/);
    // The link still serves the good device afterwards.
    expectPeerValues(await pollThrough(link));
  });
});

describe.runIf(havePymodbus() && haveSocat())(
  'pymodbus server over a serial line (socat pty, RTU)',
  () => {
    let socat: ChildProcess | undefined;
    let peer: ChildProcess | undefined;
    let link: ModbusRtuLink;

    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gl-rtu-'));
      const edgeEnd = join(dir, 'edge');
      const peerEnd = join(dir, 'peer');
      socat = await ptyPair(edgeEnd, peerEnd);
      ({ child: peer } = await spawnJsonReady(PYTHON, [peerScript, 'rtu', peerEnd, '19200']));
      link = new ModbusRtuLink({
        path: edgeEnd,
        baudRate: 19200,
        dataBits: 8,
        parity: 'none',
        stopBits: 1,
      });
    });
    afterAll(async () => {
      await link?.close();
      await stop(peer);
      await stop(socat);
    });

    it('reads every type and word order the peer serves, over RTU framing with CRC', async () => {
      expectPeerValues(await pollThrough(link));
      expect(link.stats()).toMatchObject({ kind: 'modbus-rtu', transactions: 2, ok: 2 });
    });
  },
);
