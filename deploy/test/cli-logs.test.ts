/**
 * The three CLIs as an operator runs them: stdout of gridlink-central and gridlink-edge carries
 * only JSON log lines (one object each, no repeated key), the human lines (ready, running) go to
 * stderr; gridlink-sim writes its JSON log to --log-file (the demo's data/logs/sim.log).
 * On main the ready/running lines were plain text on stdout among the JSON, and the simulator
 * could only log to stderr.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duplicateKeys } from './helpers/metric-families.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs a bin until `ready` shows on stderr or stdout, then SIGTERM; resolves on exit. */
function runUntil(script: string, args: string[], ready: RegExp): Promise<Run> {
  const proc: ChildProcess = spawn(process.execPath, [join(root, script), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = { stdout: '', stderr: '', code: null };
  let signalled = false;
  const check = () => {
    if (!signalled && ready.test(run.stderr + run.stdout)) {
      signalled = true;
      proc.kill('SIGTERM');
    }
  };
  proc.stdout?.on('data', (d: Buffer) => {
    run.stdout += d.toString();
    check();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    run.stderr += d.toString();
    check();
  });
  return new Promise((done) =>
    proc.on('exit', (code) => {
      run.code = code;
      done(run);
    }),
  );
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>; // throws on a plain-text line
      expect(duplicateKeys(line), line).toEqual([]);
      return parsed;
    });

describe('CLI output: JSON logs on stdout (or a file), human lines on stderr', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-cli-logs-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gridlink-central', async () => {
    const r = await runUntil(
      'central/bin/gridlink-central.js',
      ['--data-dir', join(dir, 'central'), '--http-port', '0', '--mqtt-port', '0'],
      /gridlink-central ready/,
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^gridlink-central ready: HTTP http:/m);
    expect(r.stderr).toContain('first start: an admin API token is in');
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['central ready', 'stopping']));
    expect(lines.every((l) => l.svc === 'central')).toBe(true);
  }, 120_000);

  it('gridlink-edge', async () => {
    const config = join(dir, 'edge.json');
    writeFileSync(
      config,
      JSON.stringify({
        edgeId: 'edge-cli-logs',
        dataDir: join(dir, 'edge'),
        // Nobody listens there: the uplink retries, the agent runs all the same.
        mqtt: { url: 'mqtt://127.0.0.1:1', password: 'x' },
        devices: [],
      }),
    );
    const r = await runUntil('edge/bin/gridlink-edge.js', ['--config', config], /running:/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^gridlink-edge edge-cli-logs running: 0 devices/m);
    const lines = jsonLines(r.stdout);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.svc === 'edge' && l.edgeId === 'edge-cli-logs')).toBe(true);
  }, 120_000);

  it('gridlink-sim --log-file', async () => {
    const file = join(dir, 'logs', 'sim.log');
    const r = await runUntil(
      'firmware-sim/bin/gridlink-sim.js',
      ['--meters', '1', '--modbus-port', '0', '--log-level', 'info', '--log-file', file],
      /gridlink-sim ready/,
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(existsSync(file)).toBe(true);
    const lines = jsonLines(readFileSync(file, 'utf8'));
    expect(lines.map((l) => l.msg)).toContain('stopping');
    expect(lines.every((l) => l.svc === 'firmware-sim')).toBe(true);
  }, 120_000);
});
