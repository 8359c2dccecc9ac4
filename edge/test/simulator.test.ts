/**
 * The edge's Modbus driver against the GridLink simulator, spawned as a process (the edge never
 * imports it): N SDM630 meters behind one Modbus TCP port share one link, and every field of the
 * profile arrives with good quality and physically sensible values.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getProfile } from '@gridlink/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModbusDriver, type Driver } from '../src/drivers/index.js';
import type { PolledReading } from '../src/poller/index.js';
import { stop } from './helpers/tools.js';

const simBin = fileURLToPath(new URL('../../firmware-sim/bin/gridlink-sim.js', import.meta.url));

interface Ready {
  type: 'ready';
  modbusTcp: { host: string; port: number };
  devices: { deviceId: string; unitId: number; profile: string }[];
}

describe('edge ↔ simulator over Modbus TCP', () => {
  let sim: ChildProcess | undefined;
  let ready: Ready;
  let driver: Driver;
  const readings: PolledReading[] = [];
  const waiters: (() => void)[] = [];

  beforeAll(async () => {
    sim = fork(simBin, ['--meters', '3', '--modbus-port', '0', '--log-level', 'silent'], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    ready = await new Promise<Ready>((resolve, reject) => {
      sim?.on('message', (m) => {
        if ((m as Ready).type === 'ready') resolve(m as Ready);
      });
      sim?.once('exit', (code) => reject(new Error(`simulator exited ${code}`)));
    });
    driver = createModbusDriver({
      buses: [],
      devices: ready.devices.map((d) => ({
        id: d.deviceId,
        driver: 'modbus-tcp' as const,
        host: ready.modbusTcp.host,
        port: ready.modbusTcp.port,
        unitId: d.unitId,
        profile: d.profile,
        maxInFlight: 1,
        intervalMs: 200,
        timeoutMs: 2000,
        retries: 1,
        offlineAfter: 3,
        offlineBackoffMaxMs: 60_000,
        maxGap: 10,
        maxRegisters: 125,
      })),
      onReading: (r) => {
        readings.push(r);
        for (const w of waiters.splice(0)) w();
        return { ok: true };
      },
      logger: pino({ level: 'silent' }),
    });
    await driver.start();
    // Two readings per meter.
    while (ready.devices.some((d) => readings.filter((r) => r.deviceId === d.deviceId).length < 2))
      await new Promise<void>((resolve) => waiters.push(resolve));
  });
  afterAll(async () => {
    await driver?.close();
    await stop(sim);
  });

  it('reads every SDM630 field of every meter, good quality, sensible values', () => {
    const fields = getProfile('eastron-sdm630').fields.filter((f) => f.type !== 'string');
    expect(driver.channels()).toHaveLength(1); // one gateway, one link
    for (const d of ready.devices) {
      const mine = readings.filter((r) => r.deviceId === d.deviceId);
      for (const r of mine) {
        expect(r.quality).toBe('good');
        expect(Object.keys(r.values).sort()).toEqual(fields.map((f) => f.name).sort());
        expect(r.values.voltage_l1).toBeGreaterThan(180);
        expect(r.values.voltage_l1).toBeLessThan(260);
        expect(r.values.frequency).toBeGreaterThan(45);
        expect(r.values.frequency).toBeLessThan(65);
      }
      // Cumulative energy never goes backwards.
      expect((mine[1] as PolledReading).values.energy_import).toBeGreaterThanOrEqual(
        (mine[0] as PolledReading).values.energy_import as number,
      );
    }
    const view = driver.devices();
    expect(view.every((v) => v.health.online && v.health.failures === 0)).toBe(true);
  });
});
