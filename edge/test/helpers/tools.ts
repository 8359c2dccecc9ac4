import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Whether an external tool is usable. Under CI=true a missing tool is a failure; elsewhere the
 * test is skipped with a loud warning.
 */
export function haveTool(name: string, probe: string[], why: string): boolean {
  const r = spawnSync(probe[0] as string, probe.slice(1), { encoding: 'utf8' });
  const ok = r.status === 0;
  if (!ok) {
    const msg = `${name} is not available (${probe.join(' ')}): ${why}`;
    if (process.env.CI === 'true') throw new Error(`CI requires ${msg}`);
    console.warn(`\n!!! SKIPPING: ${msg}\n`);
  }
  return ok;
}

export const PYTHON = '/usr/bin/python3';

export const havePymodbus = () =>
  haveTool(
    'python3-pymodbus',
    [PYTHON, '-c', 'import pymodbus.server.async_io'],
    'the independent Modbus peer (apt-get install python3-pymodbus)',
  );

export const haveSocat = () =>
  haveTool('socat', ['socat', '-V'], 'pty pairs for serial-line tests (apt-get install socat)');

/** Spawns a process and resolves with the first stdout line that parses as JSON. */
export function spawnJsonReady<T>(
  cmd: string,
  args: string[],
): Promise<{ child: ChildProcess; ready: T }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      try {
        resolve({ child, ready: JSON.parse(line) as T });
      } catch {
        // not the ready line
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${stderr}`)));
  });
}

/** A socat pty pair; resolves once socat reports its transfer loop (both ends exist). */
export function ptyPair(a: string, b: string): Promise<ChildProcess> {
  const child = spawn(
    'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('starting data transfer loop')) resolve(child);
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`socat exited ${code}: ${stderr}`)));
  });
}

/** Stops a child we started and waits for it to exit. */
export function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
