import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { modbusClients } from '../../test/helpers/modbus-client.js';
import { rtuRig } from '../../test/helpers/rtu.js';
import { haveTool } from '../../test/helpers/tools.js';
import { createManualClock } from '../clock/index.js';
import { type Fleet, parseScenario, startFleet } from './index.js';

const clients = modbusClients();
const rig = rtuRig();
let fleet: Fleet | undefined;

afterEach(async () => {
  await clients.closeAll();
  await rig.closeAll();
  await fleet?.close();
  fleet = undefined;
});

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${fleet!.control!.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const energyOf = (regs: number[]) => {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(regs[0]!, 0);
  b.writeUInt16BE(regs[1]!, 2);
  return b.readFloatBE(0);
};

describe('faults on Modbus TCP, switched through the control API', () => {
  it('each mode is what a plain modbus-serial client sees; DELETE restores the honest device', async () => {
    const clock = createManualClock(Date.UTC(2024, 5, 3, 21, 0, 0));
    fleet = await startFleet(
      parseScenario({ seed: 3, modbusTcp: { meters: 2 }, control: { port: 0 } }),
      { clock },
    );
    const port = fleet.modbusTcp[0]!.port;
    const client = await clients.connect(port, 1);
    client.setTimeout(400);
    const read = () => client.readInputRegisters(72, 2);
    const honest = energyOf((await read()).data);

    const cases: Array<[Record<string, unknown>, RegExp | Record<string, unknown>]> = [
      [{ mode: 'no-reply' }, /Timed out/],
      [{ mode: 'exception', code: 6 }, { modbusCode: 6 }],
      [{ mode: 'wrong-unit', unitId: 9 }, /expected address 1 got 9/],
      [{ mode: 'short-frame' }, /Data length error/],
    ];
    for (const [fault, seen] of cases) {
      expect((await api('PUT', '/devices/meter-1/fault', fault)).status).toBe(200);
      const attempt = read();
      if (seen instanceof RegExp) await expect(attempt).rejects.toThrow(seen);
      else await expect(attempt).rejects.toMatchObject(seen);
      // The other meter on the same port is unaffected.
      client.setID(2);
      await expect(read()).resolves.toBeDefined();
      client.setID(1);
    }
    expect((await api('DELETE', '/devices/meter-1/fault')).body).toEqual({
      deviceId: 'meter-1',
      fault: null,
    });
    expect(energyOf((await read()).data)).toBe(honest);

    // Late reply: it arrives, and never before its delay.
    await api('PUT', '/devices/meter-1/fault', { mode: 'late-reply', delayMs: 150 });
    client.setTimeout(5000);
    const t0 = performance.now();
    await read();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(150);

    // Counter reset: the register drops to ~0 and keeps counting; the truth keeps the physics.
    await api('PUT', '/devices/meter-1/fault', { mode: 'counter-reset' });
    expect(energyOf((await read()).data)).toBe(0);
    clock.advance(3_600_000);
    fleet.tick();
    const afterReset = energyOf((await read()).data);
    expect(afterReset).toBeGreaterThan(0.1);
    expect(afterReset).toBeLessThan(10);
    const truth = (await api('GET', '/devices/meter-1/truth')).body as {
      measured: Record<string, number>;
      served: Record<string, number>;
    };
    expect(truth.served.energy_import).toBe(afterReset);
    expect(truth.measured.energy_import).toBeGreaterThan(honest);

    // Tamper: the counter goes backwards by backKWh.
    await api('PUT', '/devices/meter-1/fault', { mode: 'tamper', backKWh: 0.05 });
    const tampered = energyOf((await read()).data);
    expect(tampered).toBeLessThan(afterReset);
    expect(tampered).toBeCloseTo(afterReset - 0.05, 4);

    // Link flapping: while down the connection is dropped; when up, a new client is served.
    await api('PUT', '/devices/meter-1/fault', { mode: 'link-flap', downMs: 60_000, upMs: 60_000 });
    client.setTimeout(1000);
    await expect(read()).rejects.toThrow();
    clock.advance(60_000);
    const again = await clients.connect(port, 1);
    await expect(again.readInputRegisters(72, 2)).resolves.toBeDefined();
  });

  it('the control API refuses bad bodies with the key path, and unknown devices with 404', async () => {
    fleet = await startFleet(parseScenario({ modbusTcp: { meters: 1 }, control: { port: 0 } }));
    expect(await api('PUT', '/devices/meter-1/fault', { mode: 'exception', code: 12 })).toEqual({
      status: 400,
      body: {
        error: {
          code: 'GL_CONFIG_INVALID',
          message: 'fault.code: must be an integer 1..11, got 12',
          details: { key: 'fault.code' },
        },
      },
    });
    expect(
      (await api('PUT', '/devices/meter-1/fault', { mode: 'clock-skew', offsetMs: 5 })).body,
    ).toMatchObject({
      error: { message: expect.stringMatching(/not supported by a modbus-meter/) },
    });
    expect((await api('PUT', '/devices/nope/fault', { mode: 'no-reply' })).status).toBe(404);
    expect((await api('GET', '/devices')).body).toEqual({
      devices: [
        expect.objectContaining({
          deviceId: 'meter-1',
          kind: 'modbus-meter',
          unitId: 1,
          fault: null,
        }),
      ],
    });
  });
});

describe.runIf(haveTool('socat'))('faults on Modbus RTU (a pty the fleet creates)', () => {
  it('bad CRC, no reply and exceptions reach a modbus-serial RTU client', async () => {
    const dir = (await rig.pair()).clientPath.replace(/\/client$/, '');
    fleet = await startFleet(
      parseScenario({
        modbusRtu: [
          {
            pty: { devicePath: `${dir}/sim`, clientPath: `${dir}/edge` },
            baudRate: 19200,
            meters: 2,
            replyDelayMs: 2,
          },
        ],
        control: { port: 0 },
      }),
    );
    expect(fleet.modbusRtu[0]!.clientPath).toBe(`${dir}/edge`);
    const client = await rig.client(`${dir}/edge`, 19200, 2, 400);
    await expect(client.readInputRegisters(0, 2)).resolves.toBeDefined();
    await api('PUT', '/devices/rtu1-meter-2/fault', { mode: 'bad-crc' });
    await expect(client.readInputRegisters(0, 2)).rejects.toThrow(/CRC error/);
    await api('PUT', '/devices/rtu1-meter-2/fault', { mode: 'exception', code: 4 });
    await expect(client.readInputRegisters(0, 2)).rejects.toMatchObject({ modbusCode: 4 });
    await api('PUT', '/devices/rtu1-meter-2/fault', { mode: 'no-reply' });
    await expect(client.readInputRegisters(0, 2)).rejects.toThrow(/Timed out/);
    await api('DELETE', '/devices/rtu1-meter-2/fault');
    await expect(client.readInputRegisters(0, 2)).resolves.toBeDefined();
    expect(fleet.modbusRtu[0]!.stats()).toMatchObject({ requests: 5, replies: 4, unanswered: 1 });
  });
});
