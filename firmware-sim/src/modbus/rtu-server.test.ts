import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { rtuRig } from '../../test/helpers/rtu.js';
import { haveTool } from '../../test/helpers/tools.js';
import { MemoryRegisterBank } from './memory-register-bank.js';
import { type ModbusRtuServer, type RtuFrameEvent, startModbusRtuServer } from './rtu-server.js';
import { interFrameSilenceMs, wireTimeMs } from './rtu-timing.js';

const rig = rtuRig();
let server: ModbusRtuServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  await rig.closeAll();
});

function bank(seed: number): MemoryRegisterBank {
  const b = new MemoryRegisterBank({ size: 100 });
  for (let i = 0; i < 100; i++) b.holdingRegisters[i] = (seed * 1000 + i) & 0xffff;
  return b;
}

describe.runIf(haveTool('socat'))('Modbus RTU server on a socat pty pair', () => {
  it('serves many unit ids on one line to a modbus-serial RTU client; silent for absent ones', async () => {
    const pair = await rig.pair();
    const banks = new Map([
      [1, bank(1)],
      [2, bank(2)],
      [247, bank(7)],
    ]);
    server = await startModbusRtuServer({
      path: pair.devicePath,
      baudRate: 19200,
      resolveUnit: (u) => banks.get(u),
    });
    const client = await rig.client(pair.clientPath, 19200, 1, 500);
    for (const unit of [1, 2, 247]) {
      client.setID(unit);
      const { data } = await client.readHoldingRegisters(3, 4);
      expect(data).toEqual(
        [3, 4, 5, 6].map((i) => ((unit === 247 ? 7 : unit) * 1000 + i) & 0xffff),
      );
    }
    // A write, then read it back.
    client.setID(2);
    await client.writeRegisters(10, [0xbeef, 0x1234]);
    expect(banks.get(2)!.holdingRegisters.subarray(10, 12)).toEqual(
      new Uint16Array([0xbeef, 0x1234]),
    );
    // An exception travels as an RTU exception frame (02: beyond the 100 registers).
    await expect(client.readHoldingRegisters(99, 2)).rejects.toMatchObject({ modbusCode: 2 });
    // Unit 9 is not on the bus: nobody answers, the client times out.
    client.setID(9);
    await expect(client.readHoldingRegisters(0, 1)).rejects.toMatchObject({ message: 'Timed out' });
    const stats = server.stats();
    expect(stats).toMatchObject({ requests: 6, replies: 5, unanswered: 1, discarded: 0 });
    // Line occupancy is the wire time of every frame: five 8-byte read requests and one write
    // of 7 + 4 + 2 = 13; replies of 5 + 2×4 = 13 (three reads), 8 (write echo), 5 (exception).
    expect(stats.busyMs).toBeCloseTo(wireTimeMs(5 * 8 + 13 + 3 * 13 + 8 + 5, 19200), 6);
  });

  it('honours wire time and the per-device reply delay: a reply never comes early', async () => {
    const pair = await rig.pair();
    const baud = 9600;
    server = await startModbusRtuServer({
      path: pair.devicePath,
      baudRate: baud,
      resolveUnit: () => bank(3),
      replyDelayMs: (u) => (u === 5 ? 40 : 0),
    });
    const client = await rig.client(pair.clientPath, baud, 5);
    const started = performance.now();
    await client.readHoldingRegisters(0, 10);
    const elapsed = performance.now() - started;
    // request 8 chars, t3.5 silence, 40 ms turnaround, reply 1+1+1+20+2 = 25 chars.
    expect(elapsed).toBeGreaterThanOrEqual(
      wireTimeMs(8, baud) + interFrameSilenceMs(baud) + 40 + wireTimeMs(25, baud),
    );
  });

  it('discards a frame with a bad CRC (no reply) and answers the next good one', async () => {
    const pair = await rig.pair();
    const events: RtuFrameEvent[] = [];
    let onEvent: () => void = () => {};
    server = await startModbusRtuServer({
      path: pair.devicePath,
      resolveUnit: () => bank(4),
      onFrame: (e) => {
        events.push(e);
        onEvent();
      },
    });
    const master = await rig.rawPort(pair.clientPath, 9600);
    const discarded = new Promise<void>((resolve) => {
      onEvent = resolve;
    });
    // 01 03 0000 0001 with its CRC bytes zeroed (the right ones are 84 0A).
    master.write(Buffer.from('01 03 0000 0001 0000'.replace(/ /g, ''), 'hex'));
    await discarded;
    expect(events).toEqual([{ kind: 'discarded', reason: 'crc', bytes: 8 }]);
    await new Promise<void>((resolve) => master.close(() => resolve())); // one opener per port
    const client = await rig.client(pair.clientPath, 9600, 1);
    const { data } = await client.readHoldingRegisters(0, 1);
    expect(data).toEqual([4000]);
    expect(server.stats()).toMatchObject({ discarded: 1, replies: 1 });
  });
});
