/**
 * The edge's Modbus driver with the KEBA P30 profile against a simulated KEBA station
 * (gridlink-sim, spawned) over real Modbus TCP on a port the OS chose: one 32-bit value per
 * read (the profile's maxRegisters 2), write-only control registers skipped by the poller and
 * written with function 06. The simulator's model moves only on events (tickMs one hour), so
 * readings can be compared with what it serves exactly.
 */
import { getProfile, isGridlinkError } from '@gridlink/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModbusTcpDeviceConfig } from '../src/config/index.js';
import { createModbusDriver, type Driver } from '../src/drivers/index.js';
import type { PolledReading } from '../src/poller/index.js';
import { type RunningSimulator, startSimulator } from './helpers/simulator.js';

describe('edge ↔ simulated KEBA P30 over Modbus TCP (profile keba-p30)', () => {
  let sim: RunningSimulator;
  let driver: Driver;
  const readings: PolledReading[] = [];
  const checks: Array<() => void> = [];
  const until = (cond: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const again = () => {
        if (cond()) resolve();
        else checks.push(again);
      };
      again();
    });
  /** The first good reading from a poll that began after `seen` readings. */
  const nextGood = async (seen: number): Promise<PolledReading> => {
    const found = () => readings.find((r, i) => i > seen && r.quality === 'good');
    await until(() => found() !== undefined);
    return found() as PolledReading;
  };
  const served = async () =>
    (
      (await sim.control('GET', '/devices/keba-1/truth')) as {
        served: Record<string, number>;
      }
    ).served;

  beforeAll(async () => {
    sim = await startSimulator({
      seed: 5,
      tickMs: 3_600_000,
      control: { port: 0 },
      kebaChargers: { transport: 'modbus-tcp', count: 1, vehicle: true },
    });
    const k = sim.ready.fleet.keba[0];
    const device: ModbusTcpDeviceConfig = {
      id: 'keba-1',
      driver: 'modbus-tcp',
      host: k?.host as string,
      port: k?.port as number,
      unitId: 255, // KEBA answers as unit 255 only
      profile: 'keba-p30',
      maxInFlight: 1,
      intervalMs: 500,
      timeoutMs: 2000,
      retries: 0,
      offlineAfter: 3,
      offlineBackoffMaxMs: 60_000,
      maxGap: 10,
      maxRegisters: 125,
    };
    driver = createModbusDriver({
      devices: [device],
      buses: [],
      onReading: (r) => {
        readings.push(r);
        for (const c of checks.splice(0)) c();
        return { ok: true };
      },
      logger: pino({ level: 'silent' }),
    });
    await driver.start();
  });
  afterAll(async () => {
    await driver?.close();
    await sim?.stop();
  });

  it('reads every readable field, one value per request, exactly as served', async () => {
    const r = await nextGood(-1);
    const readable = getProfile('keba-p30').fields.filter((f) => f.readable !== false);
    expect(Object.keys(r.values).sort()).toEqual(readable.map((f) => f.name).sort());
    expect(r.values).toEqual(await served());
    // Charging a vehicle at 3 × 230 V × 32 A; A, W, kWh from mA, mW, 0.1 Wh.
    expect(r.values).toMatchObject({
      status: 3,
      plug: 7,
      current_l1: 32,
      voltage_l1: 230,
      power: 22_080,
      power_factor: 1,
      current_limit: 32,
      current_limit_hw: 32,
      firmware_version: 0x030a1000,
    });
    // 21 readable fields, 2 registers each: 21 reads per poll, none refused.
    const stats = driver.channels()[0]?.counters ?? {};
    expect(stats.exceptions).toBe(0);
    expect(stats.transactions).toBeGreaterThanOrEqual(readable.length);
    expect(driver.devices()[0]?.errors).toEqual({});
  });

  it('commands are written with function 06 and show in the next poll', async () => {
    await driver.command?.('keba-1', 'set_current_limit', 10);
    expect((await nextGood(readings.length)).values).toMatchObject({
      current_limit: 10,
      current_l1: 10,
      power: 6900,
    });
    await driver.command?.('keba-1', 'stop', undefined);
    const stopped = await nextGood(readings.length);
    expect(stopped.values).toMatchObject({ status: 5, current_limit: 0, power: 0 });
    expect(stopped.values).toEqual(await served());
    await driver.command?.('keba-1', 'unlock', undefined); // allowed now that it does not charge
    expect((await nextGood(readings.length)).values.plug).toBe(5);
    await driver.command?.('keba-1', 'set_energy', 1.5);
    await driver.command?.('keba-1', 'start', undefined);
    expect((await sim.control('GET', '/devices/keba-1/truth')).station).toMatchObject({
      enabled: true,
      currentUserMa: 10_000,
      energyLimit: 15_000, // 150 × 10 Wh in 0.1 Wh
    });
  });

  it('bounds are checked before writing; a refusal of the station is exception 03', async () => {
    const codeOf = async (p: Promise<unknown> | undefined) => {
      try {
        await p;
      } catch (err) {
        if (isGridlinkError(err))
          return [err.code, (err.details as { exceptionCode?: number })?.exceptionCode];
        throw err;
      }
      return ['accepted'];
    };
    expect(await codeOf(driver.command?.('keba-1', 'set_current_limit', 5))).toEqual([
      'GL_COMMAND_INVALID',
      undefined,
    ]);
    expect(await codeOf(driver.command?.('keba-1', 'set_energy', 700))).toEqual([
      'GL_COMMAND_INVALID',
      undefined,
    ]);
    // Charging again (started above): the station will not unlock.
    expect(await codeOf(driver.command?.('keba-1', 'unlock', undefined))).toEqual([
      'GL_MODBUS_EXCEPTION',
      3,
    ]);
  });
});
