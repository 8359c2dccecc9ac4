import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('refuses a bad scenario file naming the key path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-scn-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'modbusTcp:\n  meters: 10\n  metersPerPort: 300\n');
    const cli = startCli(['--scenario', file]);
    cli.ready.catch(() => {});
    expect((await cli.exited)[0]).toBe(1);
    expect(cli.output().stderr).toContain(
      'GL_CONFIG_INVALID: modbusTcp.metersPerPort: must be an integer 1..247, got 300',
    );
  });

  it('runs a scenario of Modbus TCP meters over several ports plus UDP meters; writes the truth on stop', async () => {
    const rx = createSocket('udp4');
    let datagrams = 0;
    let first: () => void = () => {};
    const got = new Promise<void>((r) => {
      first = r;
    });
    rx.on('message', (msg, rinfo) => {
      datagrams++;
      rx.send('200', rinfo.port, rinfo.address);
      if (/^\d{11},M\d{6},\d+\.\d{6},\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(msg.toString())) first();
    });
    rx.bind(0, '127.0.0.1');
    await once(rx, 'listening');
    const dir = mkdtempSync(join(tmpdir(), 'gl-scn-'));
    const file = join(dir, 'fleet.yaml');
    const truthOut = join(dir, 'truth.jsonl');
    writeFileSync(
      file,
      [
        'seed: 5',
        'tickMs: 100',
        'control: { port: 0 }',
        'modbusTcp: { port: 0, meters: 5, metersPerPort: 2 }',
        `udpMeters: { count: 3, target: { host: 127.0.0.1, port: ${rx.address().port} }, intervalMs: 200 }`,
      ].join('\n'),
    );
    try {
      const cli = startCli(['--scenario', file, '--truth-out', truthOut]);
      const ready = (await cli.ready) as ReadyMessage & {
        fleet: { modbusTcp: Array<{ port: number; meters: number }>; control: { url: string } };
      };
      expect(ready.fleet.modbusTcp.map((t) => t.meters)).toEqual([2, 2, 1]);
      expect(ready.devices.map((d) => d.unitId)).toEqual([1, 2]);
      const client = await clients.connect(ready.fleet.modbusTcp[2]!.port, 1);
      await expect(client.readInputRegisters(0, 2)).resolves.toBeDefined(); // meter-5
      const listed = (await (await fetch(`${ready.fleet.control.url}/devices`)).json()) as {
        devices: Array<{ deviceId: string }>;
      };
      expect(listed.devices.map((d) => d.deviceId)).toEqual([
        'meter-1',
        'meter-2',
        'meter-3',
        'meter-4',
        'meter-5',
        'udp-meter-1',
        'udp-meter-2',
        'udp-meter-3',
      ]);
      await got;
      await clients.closeAll();
      cli.child.kill('SIGINT');
      expect((await cli.exited)[0]).toBe(0);
      const truth = readFileSync(truthOut, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(truth).toHaveLength(8);
      expect(truth[5]).toMatchObject({ deviceId: 'udp-meter-1', kind: 'udp-meter' });
      const sent = truth.slice(5).reduce((n: number, t: { sent: number }) => n + t.sent, 0);
      expect(sent).toBeGreaterThanOrEqual(1);
      expect(datagrams).toBeLessThanOrEqual(sent);
      expect(cli.output().stdout).toMatch(/gridlink-sim stopped: \{"modbus-meter":5,"udp-meter":3/);
    } finally {
      await new Promise<void>((r) => rx.close(() => r()));
    }
  });
});
