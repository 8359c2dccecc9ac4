import { afterEach, describe, expect, it } from 'vitest';
import { modbusClients } from '../../test/helpers/modbus-client.js';
import { CarDevice, getCarModel } from '../cars/index.js';
import { createManualClock, type ManualClock } from '../clock/index.js';
import { type ModbusTcpServer, startModbusTcpServer } from '../modbus/index.js';
import { ChargerDevice } from './charger-device.js';

const T0 = Date.UTC(2024, 5, 3, 12, 0, 0);
const clients = modbusClients();
let server: ModbusTcpServer | undefined;

afterEach(async () => {
  await clients.closeAll();
  await server?.close();
  server = undefined;
});

/** A car with no MQTT client: just the battery model, for the charger to fill. */
const car = (clock: ManualClock, model: string, soc: number) =>
  new CarDevice({
    deviceId: 'car-1',
    plate: 'ABC1D23',
    model: getCarModel(model),
    password: 'unused',
    brokerUrl: 'mqtt://127.0.0.1:1',
    clock,
    initialSoc: soc,
    connect: false,
  });

const charger = (
  clock: ManualClock,
  extra: Partial<ConstructorParameters<typeof ChargerDevice>[0]> = {},
) =>
  new ChargerDevice({
    deviceId: 'charger-1',
    unitId: 1,
    clock,
    endpoint: { transport: 'tcp' },
    seed: 5,
    initialEnergyKWh: 1234.5,
    ...extra,
  });

const f32 = (r: number[]) => {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(r[0]!, 0);
  b.writeUInt16BE(r[1]!, 2);
  return b.readFloatBE(0);
};
const u32 = (r: number[]) => r[0]! * 0x10000 + r[1]!;

describe('GridLink AC charger over Modbus TCP (a plain modbus-serial client)', () => {
  it('commands written to 40257-40259 drive the connector; state, power and energy read back from 30001-30008', async () => {
    const clock = createManualClock(T0);
    const c = charger(clock);
    server = await startModbusTcpServer({ port: 0, resolveUnit: () => c.bank });
    const client = await clients.connect(server.port, 1);
    const state = async () => {
      const r = (await client.readInputRegisters(0, 8)).data;
      return {
        status: r[0],
        faultCode: r[1],
        powerW: f32(r.slice(2, 4)),
        sessionWh: u32(r.slice(4, 6)),
        totalWh: u32(r.slice(6, 8)),
      };
    };
    const holding = async () => (await client.readHoldingRegisters(256, 3)).data;
    const tick = (ms: number) => {
      clock.advance(ms);
      c.advance(clock.now());
    };

    expect(await state()).toEqual({
      status: 0,
      faultCode: 0,
      powerW: 0,
      sessionWh: 0,
      totalWh: 1_234_500,
    });
    expect(await holding()).toEqual([320, 0, 0]); // 32.0 A, no command, no reservation

    // Refused values and commands: exception 03 (illegal data value), nothing changes.
    await expect(client.writeRegisters(257, [2])).rejects.toMatchObject({ modbusCode: 3 }); // stop, no session
    await expect(client.writeRegisters(257, [0])).rejects.toMatchObject({ modbusCode: 3 }); // 0 is not a command
    await expect(client.writeRegisters(257, [7])).rejects.toMatchObject({ modbusCode: 3 });
    await expect(client.writeRegisters(256, [59])).rejects.toMatchObject({ modbusCode: 3 }); // 5.9 A
    await expect(client.writeRegisters(256, [321])).rejects.toMatchObject({ modbusCode: 3 }); // 32.1 A
    await expect(client.writeRegisters(258, [1441])).rejects.toMatchObject({ modbusCode: 3 });
    // Outside the registers, or read-only: 02 (illegal data address).
    await expect(client.writeRegisters(259, [1])).rejects.toMatchObject({ modbusCode: 2 });
    await expect(client.readInputRegisters(8, 1)).rejects.toMatchObject({ modbusCode: 2 });
    expect(await holding()).toEqual([320, 0, 0]);
    expect(c.truth()).toMatchObject({ refusedWrites: { charge_control: 3, current_limit: 2 } });

    // Reserve 10 min: status 4, the minutes count down, 0 cancels.
    await client.writeRegisters(258, [10]);
    expect((await state()).status).toBe(4);
    tick(60_000);
    expect((await holding())[2]).toBe(9);
    await client.writeRegisters(258, [0]);
    expect((await state()).status).toBe(0);

    // 16 A, start without a car: preparing; the car arrives: charging at 220 V × 16 A.
    await client.writeRegisters(256, [160]);
    await client.writeRegisters(257, [1]);
    expect((await state()).status).toBe(1);
    const leaf = car(clock, 'Nissan Leaf', 0.5); // 40 kWh at 50 %: 20 kWh
    leaf.plugInto(c);
    expect(await state()).toMatchObject({ status: 2, powerW: 3520, sessionWh: 0 });
    tick(30 * 60_000); // half an hour at 3.52 kW
    expect(await state()).toMatchObject({
      status: 2,
      powerW: 3520,
      sessionWh: 1760,
      totalWh: 1_236_260,
    });
    expect(leaf.battery.energyKWh).toBeCloseTo(21.76, 9);
    expect(leaf.charging).toBe(true);

    // The limit takes effect at once: 32 A doubles the power.
    await client.writeRegisters(256, [320]);
    expect((await state()).powerW).toBe(7040);
    tick(15 * 60_000);
    expect((await state()).sessionWh).toBe(1760 + 1760);

    // Stop: finishing, no power; the session energy stays until the next session starts.
    await client.writeRegisters(257, [2]);
    expect(await state()).toMatchObject({ status: 3, powerW: 0, sessionWh: 3520 });
    expect(await holding()).toEqual([320, 2, 0]);
    await expect(client.writeRegisters(257, [1])).rejects.toMatchObject({ modbusCode: 3 });
    tick(30_000); // the driver unplugs after finishingMs
    expect((await state()).status).toBe(0);
    expect(c.vehicle).toBeNull();
    expect(leaf.charger).toBeNull();

    // A connector fault on demand: status 5 with its code; commands refused until it clears.
    c.setFault({ mode: 'connector-fault', faultCode: 9 });
    expect(await state()).toMatchObject({ status: 5, faultCode: 9 });
    // One fn 16 write of all three registers is all or nothing: the start is refused, so the
    // new limit is not taken either.
    await expect(client.writeRegisters(256, [100, 1, 0])).rejects.toMatchObject({ modbusCode: 3 });
    expect(await holding()).toEqual([320, 2, 0]);
    c.clearFault();
    expect(await state()).toMatchObject({ status: 0, faultCode: 0 });
    await client.writeRegisters(256, [100, 1, 0]);
    expect(await holding()).toEqual([100, 1, 0]);
    expect((await state()).status).toBe(1);

    // Out of service (control API): unavailable, 6.
    c.setOperative(false);
    expect((await state()).status).toBe(6);
    expect(c.truth()).toMatchObject({ sessions: 1, status: 'unavailable' });
  });
});

describe('charging arithmetic', () => {
  it('power follows the car’s curve above 80 %, stops at full, and does not depend on the tick pattern', () => {
    const run = (stepMs: number) => {
      const clock = createManualClock(T0);
      const c = charger(clock, { phases: 3 }); // 3 × 220 V × 32 A = 21.12 kW
      const tesla = car(clock, 'Tesla Model 3', 0.7); // 52.5 of 75 kWh
      tesla.plugInto(c);
      c.bank.writeMultipleRegisters(257, [1]); // start
      const powers: number[] = [];
      for (let t = 0; t < 3 * 3_600_000; t += stepMs) {
        clock.advance(stepMs);
        c.advance(clock.now());
        if (t % 600_000 === 0) powers.push(c.deliveringW);
      }
      return { c, tesla, powers };
    };
    const fine = run(1000);
    const coarse = run(60_000);
    // 7.5 kWh to 80 % at the full 21.12 kW: 1278.4 s; then the taper.
    expect(fine.powers[0]).toBe(21_120);
    expect(fine.tesla.battery.soc).toBe(1);
    expect(fine.c.deliveringW).toBe(0);
    expect(fine.c.truth()).toMatchObject({
      measured: { sessionEnergyKWh: expect.closeTo(22.5, 9) },
    });
    // Same energies however the clock was stepped (power is fixed per 1 s step of the epoch).
    expect(coarse.tesla.battery.energyKWh).toBe(fine.tesla.battery.energyKWh);
    const mid = fine.powers[3] as number; // 30 min in: above 80 %, tapering
    expect(mid).toBeLessThan(21_120);
    expect(mid).toBeGreaterThan(0);
  });

  it('below 80 % the session energy is exactly power × time', () => {
    const clock = createManualClock(T0);
    const c = charger(clock, { currentLimitA: 10 });
    const bolt = car(clock, 'Chevrolet Bolt EV', 0.2);
    bolt.plugInto(c);
    c.bank.writeMultipleRegisters(257, [1]);
    clock.advance(2 * 3_600_000 + 500); // not a whole step
    c.advance(clock.now());
    const kWh = (2200 * (2 * 3_600_000 + 500)) / 3_600_000_000;
    expect(c.truth()).toMatchObject({
      measured: { powerW: 2200, sessionEnergyKWh: expect.closeTo(kWh, 9) },
      served: { session_energy: Math.floor(kWh * 1000) / 1000 },
    });
    expect(bolt.battery.energyKWh).toBeCloseTo(0.2 * 66 + kWh, 9);
  });
});
