import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = resolve(fileURLToPath(new URL('../bin/gridlink-central.js', import.meta.url)));
const run = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('gridlink-central CLI', () => {
  it('--help documents the options', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    for (const flag of [
      '--http-port',
      '--mqtt-port',
      '--port-fallback',
      '--database-url',
      '--print-admin-token',
    ])
      expect(r.stdout).toContain(flag);
  });

  it('bad flags and values are usage errors with a clear message (exit 2)', () => {
    expect(run('--bogus').status).toBe(2);
    const r = run('--http-port', 'eighty');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--http-port must be a port number 0-65535, got "eighty"');
    const u = run('--database-url', 'not a url');
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/GL_CONFIG_INVALID: databaseUrl: /);
  });
});

describe('shipped example config', () => {
  it('deploy/examples/central.yaml is valid', async () => {
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const { parseCentralConfig } = await import('../src/config/index.js');
    const file = resolve(
      fileURLToPath(new URL('../../deploy/examples/central.yaml', import.meta.url)),
    );
    expect(parseCentralConfig(parse(readFileSync(file, 'utf8'))).mqtt.mode).toBe('embedded');
  });
});
