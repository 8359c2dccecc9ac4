import { readFileSync } from 'node:fs';

/**
 * The `Environment=` assignments of a systemd unit, so that the demo and the benchmarks run the
 * compiled build exactly as the shipped unit does. Handles the forms the units use: one
 * assignment per line, optionally wrapped in double quotes (systemd.exec(5), "Environment=").
 */
export function readUnitEnvironment(unitPath: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of readFileSync(unitPath, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('Environment=')) continue;
    let assignment = line.slice('Environment='.length);
    if (assignment.startsWith('"') && assignment.endsWith('"'))
      assignment = assignment.slice(1, -1);
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new Error(`${unitPath}: cannot read "${line}"`);
    env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  return env;
}

/** The script `ExecStart=` runs, relative to the install root (/opt/gridlink in the units). */
export function readUnitScript(unitPath: string, installRoot = '/opt/gridlink/'): string {
  const exec = readFileSync(unitPath, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('ExecStart='));
  const script = exec?.split(/\s+/).find((w) => w.startsWith(installRoot));
  if (!script) throw new Error(`${unitPath}: no ExecStart script under ${installRoot}`);
  return script.slice(installRoot.length);
}
