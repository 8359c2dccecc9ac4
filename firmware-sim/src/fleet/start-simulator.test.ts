import { decodeField, getProfile, isGridlinkError } from '@gridlink/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { modbusClients } from '../../test/helpers/modbus-client.js';
import { createManualClock } from '../clock/index.js';
import { type Simulator, type SimulatorOptions, startSimulator } from './index.js';

const profile = getProfile('eastron-sdm630');
const clients = modbusClients();
let sim: Simulator | undefined;

afterEach(async () => {
  await clients.closeAll();
  await sim?.close();
  sim = undefined;
});

/** Reads every field of one meter over Modbus TCP and decodes it with the shared codec. */
async function readMeter(port: number, unitId: number): Promise<Record<string, number>> {
  const client = await clients.connect(port, unitId);
  const { buffer } = await client.readInputRegisters(0, 76);
  return Object.fromEntries(
    profile.fields.map((f) => [f.name, decodeField(f, buffer, 0) as number]),
  );
}

describe('startSimulator', () => {
  it('serves N meters as unit ids 1..N; what the wire says is exactly the ground truth', async () => {
    const clock = createManualClock(Date.UTC(2024, 5, 3, 22, 0, 0));
    sim = await startSimulator({ meters: 3, modbusTcp: { port: 0 }, seed: 99, clock });
    expect(sim.port).toBeGreaterThan(0);
    expect(sim.modbusTcp).toEqual({ host: '127.0.0.1', port: sim.port });
    expect(sim.devices).toEqual([
      { deviceId: 'meter-1', unitId: 1, profile: 'eastron-sdm630' },
      { deviceId: 'meter-2', unitId: 2, profile: 'eastron-sdm630' },
      { deviceId: 'meter-3', unitId: 3, profile: 'eastron-sdm630' },
    ]);
    for (const { deviceId, unitId } of sim.devices) {
      expect(await readMeter(sim.port, unitId)).toEqual(sim.groundTruth(deviceId));
    }
    // Each meter has its own seed.
    expect(sim.groundTruth('meter-1')!.voltage_l1).not.toBe(sim.groundTruth('meter-2')!.voltage_l1);
    expect(sim.groundTruth('meter-9')).toBeUndefined();
  });

  it('moves with its clock on tick(), and replays from the same seed', async () => {
    const clock = createManualClock(Date.UTC(2024, 5, 3, 22, 0, 0));
    sim = await startSimulator({ meters: 1, modbusTcp: { port: 0 }, seed: 5, clock });
    const before = sim.groundTruth('meter-1')!;
    clock.advance(10 * 60_000);
    sim.tick();
    const after = sim.groundTruth('meter-1')!;
    expect(after.energy_import).toBeGreaterThan(before.energy_import!);
    expect(await readMeter(sim.port, 1)).toEqual(after);

    const again = await startSimulator({
      meters: 1,
      modbusTcp: { port: 0 },
      seed: 5,
      clock: createManualClock(Date.UTC(2024, 5, 3, 22, 0, 0)),
    });
    try {
      expect(again.groundTruth('meter-1')).toEqual(before);
    } finally {
      await again.close();
    }
  });

  it('answers a unit id beyond the fleet with exception 0x0B', async () => {
    sim = await startSimulator({ meters: 2, modbusTcp: { port: 0 }, seed: 1 });
    const client = await clients.connect(sim.port, 3);
    await expect(client.readInputRegisters(0, 2)).rejects.toMatchObject({ modbusCode: 0x0b });
  });

  it.each<[string, Partial<SimulatorOptions>]>([
    ['meters', { meters: 0 }],
    ['meters', { meters: 248 }],
    ['meters', { meters: 1.5 }],
    ['modbusTcp.port', { modbusTcp: { port: 70000 } }],
    ['seed', { seed: -1 }],
    ['profile', { profile: 'no-such-meter' }],
    ['tickMs', { tickMs: 0 }],
  ])('refuses a bad %s with GL_CONFIG_INVALID', async (key, bad) => {
    try {
      await startSimulator({ meters: 1, modbusTcp: { port: 0 }, ...bad });
      expect.unreachable();
    } catch (err) {
      expect(isGridlinkError(err, 'GL_CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toMatch(new RegExp(`^${key.replace('.', '\\.')}:`));
    }
  });
});
