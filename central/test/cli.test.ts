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
      'token create|list|revoke',
      'initial-admin-token',
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
    const config = parseCentralConfig(parse(readFileSync(file, 'utf8')));
    expect(config.mqtt.mode).toBe('embedded');
    expect(config.billing.pix?.merchantCity).toBe('SALVADOR');
  });
});

describe('stopping', () => {
  it('a SIGTERM that arrives during start-up still ends in a clean stop (exit 0, not killed)', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'gl-central-stop-'));
    const proc = spawn(
      process.execPath,
      [bin, '--data-dir', dir, '--http-port', '0', '--mqtt-port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
    );
    let ready = false;
    proc.on('message', () => {
      ready = true;
    });
    // Signal as soon as it says it is starting: the database and broker are not up yet.
    await new Promise<void>((resolve) => {
      let out = '';
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('"msg":"starting"')) resolve();
      });
    });
    proc.kill('SIGTERM');
    const [code, signal] = await new Promise<[number | null, string | null]>((r) =>
      proc.on('exit', (c, s) => r([c, s])),
    );
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(ready).toBe(true); // it finished starting, then stopped cleanly
  }, 120_000);
});
