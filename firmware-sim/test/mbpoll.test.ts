import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { getProfile } from '@gridlink/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../src/clock/index.js';
import { type Fleet, parseScenario, startFleet } from '../src/fleet/index.js';
import { rtuRig } from './helpers/rtu.js';
import { haveTool } from './helpers/tools.js';

/**
 * mbpoll (Debian package, an independent Modbus master written in C on libmodbus) reads the
 * simulated meters and must get the simulator's ground truth. mbpoll references are 1-based:
 * -r 1 is input register address 0 (30001 on the SDM630). -B: big-endian word order (ABCD).
 * mbpoll prints floats with %g, six significant digits; the comparison is exact at that precision.
 */
const run = promisify(execFile);
const profile = getProfile('eastron-sdm630');
const rig = rtuRig();
let fleet: Fleet | undefined;

afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
  await rig.closeAll();
});

/** Parses mbpoll's `[ref]: value` lines into register address → value. */
function parseMbpoll(stdout: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of stdout.matchAll(/^\[(\d+)\]:\s+(\S+)/gm)) out.set(Number(m[1]) - 1, Number(m[2]));
  return out;
}

function expectTruth(read: Map<number, number>, truth: Record<string, number>): void {
  for (const field of profile.fields) {
    const got = read.get(field.address);
    expect({ field: field.name, got }).toEqual({
      field: field.name,
      got: Number(truth[field.name]!.toPrecision(6)),
    });
  }
}

const mbpollArgs = ['-a', '', '-r', '1', '-c', '38', '-t', '3:float', '-B', '-1'];

describe.runIf(haveTool('mbpoll'))('mbpoll, an independent master, reads the ground truth', () => {
  it('over Modbus TCP, from several unit ids', async () => {
    const clock = createManualClock(Date.UTC(2024, 5, 3, 20, 30, 0));
    fleet = await startFleet(parseScenario({ seed: 11, modbusTcp: { meters: 3 } }), { clock });
    for (const unit of [1, 3]) {
      const args = [...mbpollArgs];
      args[1] = String(unit);
      const { stdout } = await run('mbpoll', [
        '-m',
        'tcp',
        ...args,
        '-p',
        String(fleet.modbusTcp[0]!.port),
        '127.0.0.1',
      ]);
      const truth = fleet.devices.get(`meter-${unit}`)!.truth() as {
        served: Record<string, number>;
      };
      expectTruth(parseMbpoll(stdout), truth.served);
    }
  });

  it.runIf(haveTool('socat'))('over Modbus RTU on the pty pair the simulator creates', async () => {
    const dir = (await rig.pair()).clientPath.replace(/\/client$/, '');
    const clock = createManualClock(Date.UTC(2024, 5, 3, 20, 30, 0));
    fleet = await startFleet(
      parseScenario({
        seed: 12,
        modbusRtu: [
          {
            pty: { devicePath: `${dir}/sim`, clientPath: `${dir}/mbpoll` },
            baudRate: 19200,
            meters: 2,
          },
        ],
      }),
      { clock },
    );
    const args = [...mbpollArgs];
    args[1] = '2';
    const { stdout } = await run('mbpoll', [
      '-m',
      'rtu',
      '-b',
      '19200',
      '-P',
      'none',
      ...args,
      `${dir}/mbpoll`,
    ]);
    const truth = fleet.devices.get('rtu1-meter-2')!.truth() as { served: Record<string, number> };
    expectTruth(parseMbpoll(stdout), truth.served);
  });
});
