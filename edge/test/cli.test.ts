import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = resolve(fileURLToPath(new URL('../bin/gridlink-edge.js', import.meta.url)));
const run = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('gridlink-edge CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gl-edge-cli-'));

  it('keeps running with no device and no broker (retrying), until SIGTERM stops it: exit 0', async () => {
    const file = join(dir, 'alone.json');
    writeFileSync(
      file,
      JSON.stringify({
        edgeId: 'e-alone',
        dataDir: join(dir, 'alone'),
        // Port 1: nobody listens; the uplink retries on its backoff.
        mqtt: { url: 'mqtt://127.0.0.1:1', password: 'secret-0123' },
        uplink: { reconnect: { initialMs: 50, maxMs: 100 } },
        devices: [],
      }),
    );
    const proc = spawn(process.execPath, [bin, '--config', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    let log = '';
    // Three refused connections logged: the agent outlived its start and kept retrying.
    const retried = new Promise<void>((resolve) => {
      proc.stdout.on('data', (d: Buffer) => {
        log += d.toString();
        if ((log.match(/ECONNREFUSED/g) ?? []).length >= 3) resolve();
      });
    });
    const first = await Promise.race([retried.then(() => 'retrying'), exited.then(() => 'exited')]);
    expect(first, log).toBe('retrying');
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('--help documents the options', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    for (const flag of ['--config', '--data-dir', '--check', '--log-level', '--log-file'])
      expect(r.stdout).toContain(flag);
  });

  it('an unknown flag or a missing --config is a usage error (exit 2)', () => {
    expect(run('--nope').status).toBe(2);
    const r = run();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--config FILE is required');
  });

  it('a bad config names the file, the key path and the reason', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'edgeId: e1\nmqtt: { url: "http://x", password: s }\ndevices:\n  - { id: m1, profile: eastron-sdm630, driver: modbus-tcp, host: h, unitId: 300 }\n',
    );
    const r = run('--config', file, '--check');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('GL_CONFIG_INVALID');
    expect(r.stderr).toContain(`${file}: `);
    expect(r.stderr).toMatch(/mqtt\.url: must be an mqtt:\/\/ or mqtts:\/\/ URL/);
    expect(r.stderr).toMatch(/devices\.0\.unitId: /);
  });

  it('YAML that does not parse is GL_CONFIG_INVALID too', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'edgeId: [unclosed\n');
    const r = run('--config', file);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/GL_CONFIG_INVALID: .*not valid YAML/);
  });

  it('--check warns (and still passes) when the heap limit is tight for the configured devices', () => {
    const file = join(dir, 'many.json');
    const devices = Array.from({ length: 8000 }, (_, i) => ({
      id: `u${i}`,
      driver: 'udp-meter',
      meterId: `MED-${i}`,
    }));
    const config = { edgeId: 'e1', mqtt: { url: 'mqtt://127.0.0.1:1', password: 's' }, devices };
    writeFileSync(file, JSON.stringify(config));
    const capped = spawnSync(process.execPath, [bin, '--config', file, '--check'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=48' },
    });
    expect(capped.status).toBe(0);
    expect(capped.stdout).toContain('valid (8000 devices)');
    expect(capped.stderr).toMatch(
      /warning: 8000 devices need about \d+ MiB of V8 heap; the limit is \d+ MiB\. Raise --max-old-space-size/,
    );
    // With V8's default limit on this machine the same config fits: no warning.
    const roomy = run('--config', file, '--check');
    expect(roomy.status).toBe(0);
    expect(roomy.stderr).not.toContain('warning');
  });

  it('--check accepts a valid config', () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(
      file,
      'edgeId: e1\nmqtt: { url: "mqtt://127.0.0.1:1", password: s }\ndevices:\n  - { id: m1, profile: eastron-sdm630, driver: modbus-tcp, host: 127.0.0.1 }\n',
    );
    const r = run('--config', file, '--check');
    expect(r.stdout).toContain('valid (1 devices)');
    expect(r.status).toBe(0);
  });
});

describe('shipped example configs', () => {
  it('deploy/examples/edge.yaml is valid', () => {
    const file = resolve(
      fileURLToPath(new URL('../../deploy/examples/edge.yaml', import.meta.url)),
    );
    const r = run('--config', file, '--check');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
