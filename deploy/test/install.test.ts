/**
 * The install as docs/DEPLOY.md describes it: `npm run build`, then the compiled CLIs with plain
 * `node` (no NODE_OPTIONS, no TypeScript loader; the central's worker threads included), and the
 * slim edge package (`npm run package:edge`) built into a temp dir, checked and run from there.
 * On main the compiled CLIs crashed without `NODE_OPTIONS=--conditions=gridlink-build` and there
 * was no edge package (a gateway got the whole node_modules, PGlite and Swagger UI included).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORMS, packageEdge } from '../edge-package/package-edge.js';
import { buildOnce } from './helpers/build-once.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The environment of an operator's shell: nothing that changes how node resolves modules. */
const plainEnv = () => {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
};

/** Runs `node args` until `ready` shows on stderr, then SIGTERM; resolves on exit. */
function runUntil(args: string[], ready: RegExp): Promise<{ code: number | null; stderr: string }> {
  const proc: ChildProcess = spawn(process.execPath, args, {
    cwd: root,
    env: plainEnv(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let signalled = false;
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!signalled && ready.test(stderr)) {
      signalled = true;
      proc.kill('SIGTERM');
    }
  });
  return new Promise((done) => proc.on('exit', (code) => done({ code, stderr })));
}

describe('install: compiled CLIs with plain node, the slim edge package', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-install-'));
    buildOnce(root);
  }, 300_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const edgeConfig = (name: string) => {
    const file = join(dir, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        edgeId: name,
        dataDir: join(dir, name),
        // Nobody listens there: the uplink retries, the agent (and its LevelDB log) runs.
        mqtt: { url: 'mqtt://127.0.0.1:1', password: 'x' },
        devices: [],
      }),
    );
    return file;
  };

  it('runs the compiled central with plain node (PGlite on its worker thread); SIGTERM stops it', async () => {
    const r = await runUntil(
      [
        'central/build/cli/gridlink-central.js',
        '--data-dir',
        join(dir, 'central'),
        '--http-port',
        '0',
        '--mqtt-port',
        '0',
      ],
      /gridlink-central ready/,
    );
    expect(r.stderr).toMatch(/gridlink-central ready: HTTP http:.*storage pglite/);
    expect(r.code).toBe(0);
  }, 180_000);

  it('runs the compiled edge CLI with plain node', () => {
    const r = spawnSync(
      process.execPath,
      ['edge/build/cli/gridlink-edge.js', '--config', 'deploy/examples/edge.yaml', '--check'],
      { cwd: root, env: plainEnv(), encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('deploy/examples/edge.yaml: valid');
    expect(r.status).toBe(0);
  }, 60_000);

  it('packages the edge: bundle + profiles + native modules for linux x64/arm64 only; it checks a config and runs', async () => {
    const pkg = join(dir, 'gridlink-edge');
    const { bytes, packages } = packageEdge(pkg);
    process.stdout.write(`edge package: ${(bytes / 1024 / 1024).toFixed(1)} MiB\n`);
    const modules = readdirSync(join(pkg, 'node_modules'));
    expect(modules).toEqual(
      expect.arrayContaining(['classic-level', 'serialport', 'node-gyp-build']),
    );
    for (const heavy of [
      '@electric-sql',
      'swagger-ui-dist',
      'typescript',
      'tsx',
      'prom-client',
      'mqtt',
    ])
      expect(modules, heavy).not.toContain(heavy);
    expect(packages.every((p) => !p.startsWith('@electric-sql'))).toBe(true);
    expect(readdirSync(join(pkg, 'node_modules/classic-level/prebuilds')).sort()).toEqual(
      [...PLATFORMS].sort(),
    );
    expect(existsSync(join(pkg, 'node_modules/classic-level/deps'))).toBe(false);

    const check = spawnSync(
      process.execPath,
      [
        join(pkg, 'gridlink-edge.js'),
        '--config',
        join(root, 'deploy/examples/edge.yaml'),
        '--check',
      ],
      { cwd: dir, env: plainEnv(), encoding: 'utf8' },
    );
    expect(check.stdout).toContain('edge.yaml: valid (');
    expect(check.status).toBe(0);

    // The agent itself from the package: LevelDB (classic-level's prebuild) opens, SIGTERM stops.
    const run = await runUntil(
      [join(pkg, 'gridlink-edge.js'), '--config', edgeConfig('edge-packaged')],
      /running:/,
    );
    expect(run.stderr).toMatch(/gridlink-edge edge-packaged running: 0 devices/);
    expect(run.code).toBe(0);
  }, 120_000);
});
