import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from './helpers/build-once.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/**
 * `npm start` as a user runs it (its script, `tsx deploy/demo/run.ts`), on ports 0; then the same
 * with central and edge from the compiled build under their systemd units' script and environment
 * (GRIDLINK_DEMO_BUILD=1), which is how they run when installed.
 */
describe.each([
  { mode: 'TypeScript through tsx', build: false },
  { mode: 'compiled build, systemd unit settings', build: true },
])('the demo (npm start), $mode', ({ build }) => {
  let dir: string;
  beforeAll(() => {
    // One build per test run, never beside another (install.test.ts builds too).
    if (build) buildOnce(root);
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('comes up, prints where to look, serves readings over HTTP, and stops cleanly on Ctrl-C', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-demo-'));
    const started = Date.now();
    const proc = spawn(
      process.execPath,
      [join(root, 'node_modules/tsx/dist/cli.mjs'), 'deploy/demo/run.ts'],
      {
        cwd: root,
        env: {
          ...process.env,
          GRIDLINK_DATA_DIR: dir,
          GRIDLINK_HTTP_PORT: '0',
          GRIDLINK_MQTT_PORT: '0',
          GRIDLINK_MODBUS_PORT: '0',
          GRIDLINK_DEMO_POLL_MS: '500',
          GRIDLINK_DEMO_BUILD: build ? '1' : '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));

    while (!/Admin token\s+glt_/.test(out)) {
      if (proc.exitCode !== null) throw new Error(`demo exited early:\n${out}`);
      await new Promise<void>((r) => proc.stdout.once('data', () => r()));
    }
    const url = /Web API\s+(http:\/\/[\d.:]+)\//.exec(out)?.[1];
    const token = /Admin token\s+(glt_\S+)/.exec(out)?.[1];
    expect(out).toContain('/docs');
    expect(url && token).toBeTruthy();

    // The charging network (deploy/demo/seed-network.ts): the Feira de Santana file, imported.
    expect(out).toMatch(/Charging\s+100 Feira de Santana stations, 250 points \(company feira\)/);
    const stations = await fetch(`${url}/api/v1/stations?company=feira&limit=500`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await stations.json()) as { items: unknown[] }).items).toHaveLength(100);

    // Readings become visible through the API (polled: the process gives no event to wait on).
    let items: unknown[] = [];
    while (items.length === 0) {
      const res = await fetch(`${url}/api/v1/meters/1/readings`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (res.ok) items = ((await res.json()) as { items: unknown[] }).items;
      if (items.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    console.log(
      `demo: first reading visible over HTTP ${((Date.now() - started) / 1000).toFixed(1)} s after start`,
    );
    expect(items[0]).toMatchObject({
      quality: 'good',
      values: { energy_import: expect.any(Number), voltage_l1: expect.any(Number) },
    });

    // The seed meters (deploy/demo/seed-meters.ts): a seed D (UDP, interval kWh) and a seed E
    // (TCP JSON, cumulative kWh) meter, bound to demo customers through provisioning, reach the
    // readings and, after the next rollup (every minute), the consumption API.
    const api = async (path: string) => {
      const res = await fetch(`${url}/api/v1${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      // biome-ignore lint/suspicious/noExplicitAny: JSON bodies read field by field
      return (await res.json()) as any;
    };
    const seedMeter = async (prefix: string) =>
      (
        (await api('/meters')).items as Array<{
          id: number;
          deviceId: string;
          customerId: number | null;
        }>
      ).find((m) => m.deviceId.startsWith(prefix) && m.customerId !== null);
    for (const [prefix, value] of [
      ['d-', 'energy_interval'],
      ['e-', 'energy_import'],
    ] as const) {
      await expect.poll(() => seedMeter(prefix), { timeout: 60_000 }).toBeDefined();
      const meter = await seedMeter(prefix);
      await expect
        .poll(async () => (await api(`/meters/${meter?.id}/readings`)).items[0]?.values, {
          timeout: 60_000,
        })
        .toEqual({ [value]: expect.any(Number) });
      await expect
        .poll(async () => (await api(`/meters/${meter?.id}/consumption?period=day`)).totalWh, {
          timeout: 150_000,
          interval: 2000,
        })
        .toBeGreaterThan(0);
    }

    proc.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('stopping');
    if (build) expect(out).toContain('compiled build, systemd unit settings');
  }, 420_000);
});
