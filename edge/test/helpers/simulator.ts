import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stop } from './tools.js';

const simBin = fileURLToPath(new URL('../../../firmware-sim/bin/gridlink-sim.js', import.meta.url));

/** What the simulator's ready message says (the parts these tests use). */
export interface SimReady {
  type: 'ready';
  fleet: {
    keba: Array<{ deviceId: string; transport: 'udp' | 'modbus-tcp'; host: string; port: number }>;
    control: { url: string } | null;
  };
}

export interface RunningSimulator {
  ready: SimReady;
  /** One control API call; rejects on a non-2xx answer. */
  control(method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/**
 * Starts `gridlink-sim --scenario` as a child process (the edge never imports the simulator)
 * and resolves with its ready message once it serves.
 */
export async function startSimulator(scenario: Record<string, unknown>): Promise<RunningSimulator> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-sim-'));
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, JSON.stringify(scenario)); // JSON is YAML
  const child: ChildProcess = fork(simBin, ['--scenario', file, '--log-level', 'silent'], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const ready = await new Promise<SimReady>((resolve, reject) => {
    child.on('message', (m) => {
      if ((m as SimReady).type === 'ready') resolve(m as SimReady);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited ${code}: ${stderr}`)));
  });
  return {
    ready,
    async control(method, path, body) {
      const res = await fetch(`${ready.fleet.control?.url}${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    },
    stop: () => stop(child),
  };
}
