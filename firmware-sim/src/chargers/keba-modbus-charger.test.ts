import { afterEach, describe, expect, it } from 'vitest';
import { modbusClients } from '../../test/helpers/modbus-client.js';
import { createManualClock } from '../clock/index.js';
import { type ModbusTcpServer, startModbusTcpServer } from '../modbus/index.js';
import { KEBA_UNIT_ID, KebaModbusCharger } from './keba-modbus-charger.js';

const T0 = Date.UTC(2024, 5, 3, 12, 0, 0);
const clients = modbusClients();
let server: ModbusTcpServer | undefined;

afterEach(async () => {
  await clients.closeAll();
  await server?.close();
  server = undefined;
});

async function serve(vehicle = true) {
  const clock = createManualClock(T0);
  const c = new KebaModbusCharger({
    deviceId: 'keba-1',
    clock,
    seed: 3,
    vehicle,
    initialEnergyKWh: 1000,
    endpoint: { transport: 'tcp' },
  });
  server = await startModbusTcpServer({
    port: 0,
    resolveUnit: (unit) => (unit === KEBA_UNIT_ID ? c.bank : undefined),
    shapeReply: c.shapeReply,
  });
  const client = await clients.connect(server.port, KEBA_UNIT_ID);
  /** One uint32 register pair, high word first, as KEBA serves every value. */
  const u32 = async (address: number) => {
    const [hi, lo] = (await client.readHoldingRegisters(address, 2)).data as [number, number];
    return hi * 0x10000 + lo;
  };
  const exceptionOf = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      return (err as { modbusCode?: number }).modbusCode;
    }
    return expect.unreachable('the station accepted it');
  };
  return { c, clock, client, u32, exceptionOf };
}

describe('simulated KEBA P30 over Modbus TCP (profile keba-p30, unit id 255)', () => {
  it('serves its state and meter as uint32 pairs in the guide units', async () => {
    const { c, clock, u32 } = await serve();
    clock.advance(3_600_000);
    c.advance(clock.now());
    expect(await u32(1000)).toBe(3); // charging
    expect(await u32(1004)).toBe(7); // cable at station and vehicle, locked
    expect(await u32(1008)).toBe(32_000); // mA
    expect(await u32(1020)).toBe(22_080_000); // mW: 3 × 230 V × 32 A
    expect(await u32(1036)).toBe(10_220_800); // 0.1 Wh: 1000 kWh + 22.08 kWh
    expect(await u32(1040)).toBe(230);
    expect(await u32(1046)).toBe(1000); // 0.1 %
    expect(await u32(1100)).toBe(32_000);
    expect(await u32(1110)).toBe(32_000);
    expect(await u32(1502)).toBe(220_800);
    expect(await u32(1014)).toBe(Number(c.serial));
  });

  it('takes commands by function 06 only; state reads back at once', async () => {
    const { client, u32, exceptionOf } = await serve();
    await client.writeRegister(5004, 10_000); // 10 A
    expect(await u32(1100)).toBe(10_000);
    expect(await u32(1008)).toBe(10_000);
    await client.writeRegister(5014, 0); // disable
    expect(await u32(1000)).toBe(5);
    expect(await u32(1020)).toBe(0);
    await client.writeRegister(5012, 0); // unlock, allowed once not charging
    expect(await u32(1004)).toBe(5);
    await client.writeRegister(5010, 100); // 1 kWh in 10 Wh steps
    await client.writeRegister(5014, 1);
    expect(await u32(1000)).toBe(3);
    // Modbus Application Protocol v1.1b3 §7: 01 for a function the station does not take.
    expect(await exceptionOf(client.writeRegisters(5004, [16_000]))).toBe(1);
    expect(await u32(1100)).toBe(10_000);
  });

  it('refuses what the guide does not allow: 03 for values, 02 for reads it does not serve', async () => {
    const { client, exceptionOf } = await serve();
    expect(await exceptionOf(client.writeRegister(5004, 5000))).toBe(3); // < 6 A
    expect(await exceptionOf(client.writeRegister(5014, 2))).toBe(3);
    expect(await exceptionOf(client.writeRegister(5012, 0))).toBe(3); // unlock while charging
    expect(await exceptionOf(client.readHoldingRegisters(1000, 4))).toBe(2); // two values at once
    expect(await exceptionOf(client.readHoldingRegisters(5004, 1))).toBe(2); // write-only
    expect(await exceptionOf(client.writeRegister(1000, 1))).toBe(2); // read-only
  });

  it('an energy limit ends the charge when reached', async () => {
    const { c, clock, client, u32 } = await serve();
    await client.writeRegister(5010, 100); // 1 kWh
    clock.advance(3_600_000);
    c.advance(clock.now());
    expect(await u32(1502)).toBe(10_000); // exactly 1 kWh in 0.1 Wh
    expect(await u32(1000)).toBe(5);
    expect(await u32(1100)).toBe(0);
  });
});
