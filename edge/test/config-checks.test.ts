import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { looseObjectPaths } from '@gridlink/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SINK_RETRY } from '../src/agent/reading-sink.js';
import { edgeConfigSchema, parseEdgeConfig } from '../src/config/index.js';

const bin = resolve(fileURLToPath(new URL('../bin/gridlink-edge.js', import.meta.url)));
const profiles = resolve(fileURLToPath(new URL('../../shared/profiles/', import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'gl-edge-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = {
  edgeId: 'e1',
  mqtt: { url: 'mqtt://127.0.0.1:1', password: 's' },
  devices: [
    { id: 'm1', driver: 'modbus-tcp', profile: 'eastron-sdm630', host: '127.0.0.1', port: 1502 },
  ],
};

/** The real CLI on a config file (and the environment given). */
function run(name: string, config: unknown, args: string[], env: Record<string, string> = {}) {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  const r = spawnSync(
    process.execPath,
    [bin, '--config', file, '--data-dir', join(dir, name), ...args],
    {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, ...env },
    },
  );
  return { ...r, file };
}

describe('edge config checks', () => {
  it('is strict at every object level (the walk finds every object schema)', () => {
    expect(looseObjectPaths(edgeConfigSchema)).toEqual([]);
  });

  it('is deep-frozen: no part of the agent can change a setting', () => {
    const config = parseEdgeConfig(base);
    expect(() => {
      (config.mqtt as { url: string }).url = 'mqtt://elsewhere';
    }).toThrow(TypeError);
    expect(() => {
      (config.devices[0] as { intervalMs: number }).intervalMs = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.devices as unknown[]).push({});
    }).toThrow(TypeError);
  });

  it('log.appendRetry: defaults to the sink defaults, checked as a whole', () => {
    expect(parseEdgeConfig(base).log.appendRetry).toEqual(DEFAULT_SINK_RETRY);
    expect(() =>
      parseEdgeConfig({ ...base, log: { appendRetry: { initialDelayMs: 500, maxDelayMs: 100 } } }),
    ).toThrow(/log\.appendRetry\.maxDelayMs: maxDelayMs must be >= initialDelayMs/);
  });

  it('--check: an unknown profile exits 2 naming the device key path', () => {
    const devices = [
      ...base.devices,
      { ...base.devices[0], id: 'm2', profile: 'nope', port: 1503 },
    ];
    const r = run('unknown-profile', { ...base, devices }, ['--check']);
    expect(r.stderr).toContain(
      `GL_CONFIG_INVALID: ${r.file}: devices.1.profile: no device profile "nope"`,
    );
    expect(r.status).toBe(2);
  });

  it('without --check too: exits 2 before anything starts', () => {
    const devices = [{ ...base.devices[0], profile: 'nope' }];
    const r = run('unknown-profile-run', { ...base, devices }, []);
    expect(r.stderr).toContain('devices.0.profile: no device profile "nope"');
    expect(r.status).toBe(2);
    expect(r.stdout).not.toContain('running');
  });

  it('--check: a broken profile file exits 2 naming the file, not GL_INTERNAL', () => {
    const folder = join(dir, 'profiles');
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder);
    for (const f of readdirSync(profiles)) copyFileSync(join(profiles, f), join(folder, f));
    const broken = join(folder, 'zz-broken.json');
    writeFileSync(broken, '{"id": "broken", ');
    const r = run('broken-profile', base, ['--check'], { GRIDLINK_PROFILES_DIR: folder });
    expect(r.stderr).toContain(`GL_PROFILE_INVALID: ${broken}: `);
    expect(r.stderr).not.toContain('GL_INTERNAL');
    expect(r.status).toBe(2);
  });

  it.each([
    ['mqtt-tls', { ...base, mqtt: { ...base.mqtt, tls: true } }, 'mqtt: Unrecognized key: "tls"'],
    ['log', { ...base, log: { synk: false } }, 'log: Unrecognized key: "synk"'],
    [
      'device',
      { ...base, devices: [{ ...base.devices[0], unit: 1 }] },
      'devices.0: Unrecognized key: "unit"',
    ],
  ])('--check: %s exits 2 with the key path', (name, config, message) => {
    const r = run(name, config, ['--check']);
    expect(r.stderr).toContain(message);
    expect(r.status).toBe(2);
  });
});
