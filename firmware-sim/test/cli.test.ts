import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { decodeField, getProfile } from '@gridlink/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { modbusClients } from './helpers/modbus-client.js';

const bin = fileURLToPath(new URL('../bin/gridlink-sim.js', import.meta.url));
const profile = getProfile('eastron-sdm630');
const clients = modbusClients();
const children: ChildProcess[] = [];

interface ReadyMessage {
  type: 'ready';
  modbusTcp: { host: string; port: number };
  devices: Array<{ deviceId: string; unitId: number; profile: string }>;
}

/** Spawns the CLI with an IPC channel; collects stdout and stderr. */
function startCli(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  // 'close', not 'exit': by then every byte of stdout and stderr has arrived.
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  const ready = new Promise<ReadyMessage>((resolve, reject) => {
    child.on('message', (m: ReadyMessage) => {
      if (m.type === 'ready') resolve(m);
    });
    exited.then(([code]) => reject(new Error(`exited ${code} before ready: ${stderr}`)));
  });
  return { child, ready, exited, output: () => ({ stdout, stderr }) };
}

afterEach(async () => {
  await clients.closeAll();
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
});

describe('gridlink-sim (a real process)', () => {
  it('serves meters, reports ready over IPC, and exits 0 on SIGINT', async () => {
    const cli = startCli(['--modbus-port', '0', '--meters', '2', '--seed', '7']);
    const ready = await cli.ready;
    expect(ready.modbusTcp.host).toBe('127.0.0.1');
    expect(ready.modbusTcp.port).toBeGreaterThan(0);
    expect(ready.devices).toEqual([
      { deviceId: 'meter-1', unitId: 1, profile: 'eastron-sdm630' },
      { deviceId: 'meter-2', unitId: 2, profile: 'eastron-sdm630' },
    ]);
    const client = await clients.connect(ready.modbusTcp.port, 2);
    const { buffer } = await client.readInputRegisters(0, 76);
    const v = Object.fromEntries(
      profile.fields.map((f) => [f.name, decodeField(f, buffer, 0) as number]),
    );
    for (const p of [1, 2, 3]) {
      expect(v[`voltage_l${p}`]).toBeGreaterThan(210);
      expect(v[`voltage_l${p}`]).toBeLessThan(230);
      expect(v[`current_l${p}`]).toBeGreaterThan(0);
      expect(v[`current_l${p}`]).toBeLessThan(100);
      // float32 on both sides: agreement to a few parts per million
      expect(v[`power_l${p}`]! / (v[`voltage_l${p}`]! * v[`current_l${p}`]!)).toBeCloseTo(1, 4);
    }
    expect(v.frequency).toBeGreaterThan(59.9);
    expect(v.frequency).toBeLessThan(60.1);
    expect(v.power_total).toBeCloseTo(v.power_l1! + v.power_l2! + v.power_l3!, 1);
    expect(v.energy_import).toBeGreaterThan(0);
    await expect(client.readInputRegisters(76, 2)).rejects.toMatchObject({ modbusCode: 2 });

    await clients.closeAll();
    cli.child.kill('SIGINT');
    const [code] = await cli.exited;
    expect(code).toBe(0);
    expect(cli.output().stdout).toMatch(
      new RegExp(`^gridlink-sim ready: 2 meter\\(s\\) .* 127\\.0\\.0\\.1:${ready.modbusTcp.port}`),
    );
  });

  it('exits 0 on SIGTERM too', async () => {
    const cli = startCli(['--modbus-port', '0', '--meters', '1']);
    await cli.ready;
    cli.child.kill('SIGTERM');
    const [code, signal] = await cli.exited;
    expect({ code, signal, stderr: cli.output().stderr }).toEqual({
      code: 0,
      signal: null,
      stderr: '',
    });
  });

  it('refuses a bad flag with a clear message and exit code 2', async () => {
    const cli = startCli(['--meters', 'many']);
    cli.ready.catch(() => {});
    expect((await cli.exited)[0]).toBe(2);
    expect(cli.output().stderr).toContain(
      'gridlink-sim: --meters must be an integer 1-247, got "many"',
    );
    expect(cli.output().stderr).toContain('--help');
  });

  it('on a taken port: fails with exit 1, or moves and says so with --port-fallback', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const refused = startCli(['--modbus-port', String(taken)]);
      refused.ready.catch(() => {});
      expect((await refused.exited)[0]).toBe(1);
      expect(refused.output().stderr).toContain('GL_PORT_IN_USE');
      expect(refused.output().stderr).toContain('--port-fallback');

      const moved = startCli(['--modbus-port', String(taken), '--port-fallback']);
      const ready = await moved.ready;
      expect(ready.modbusTcp.port).not.toBe(taken);
      moved.child.kill('SIGINT');
      expect((await moved.exited)[0]).toBe(0);
      expect(moved.output().stderr).toContain(
        `Modbus TCP port ${taken} was taken; using ${ready.modbusTcp.port}`,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
