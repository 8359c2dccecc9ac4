import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { centralCommand } from '../src/testing/index.js';

const run = (...args: string[]) =>
  spawnSync(process.execPath, [...centralCommand(), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });

/** The server on `dataDir`, on ports 0, logging nothing. */
const serve = (dataDir: string) => [
  ...centralCommand(),
  ...['--data-dir', dataDir, '--http-port', '0', '--mqtt-port', '0', '--log-level', 'silent'],
];

/** Starts the server on ports 0 until it says it is ready, then stops it; its stdout. */
async function startAndStop(dataDir: string): Promise<string> {
  const proc = spawn(process.execPath, serve(dataDir));
  let out = '';
  let signalled = false;
  // The ready and first-start lines are human lines: on stderr (stdout is the JSON log's).
  proc.stderr.on('data', (d: Buffer) => {
    out += d.toString();
    // Once: later chunks still contain the ready line.
    if (!signalled && out.includes('gridlink-central ready')) {
      signalled = true;
      proc.kill('SIGTERM');
    }
  });
  const code = await new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  expect(code).toBe(0);
  return out;
}

/** GET /api/v1/tokens with `token` against a server started on `dataDir`. */
async function tokensWith(dataDir: string, token: string): Promise<number> {
  const proc = spawn(process.execPath, serve(dataDir), {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const ready = await new Promise<{ httpUrl: string }>((r) =>
    proc.on('message', (m: { type?: string; httpUrl: string }) => {
      if (m.type === 'ready') r(m);
    }),
  );
  const res = await fetch(`${ready.httpUrl}/api/v1/tokens`, {
    headers: { authorization: `Bearer ${token}` },
  });
  proc.kill('SIGTERM');
  await new Promise((r) => proc.on('exit', r));
  return res.status;
}

describe('gridlink-central token', () => {
  it('create, list and revoke against a PGlite data dir; secrets never listed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-cli-token-'));
    const made = run(
      'token',
      'create',
      '--role',
      'operator',
      '--label',
      'night shift',
      '--data-dir',
      dir,
    );
    expect(made.status, made.stderr).toBe(0);
    const token = made.stdout.trim();
    expect(token).toMatch(/^glt_[a-f0-9]{16}_[A-Za-z0-9_-]{43}$/);
    const id = token.slice(4, 20);
    expect(made.stderr).toContain(`created operator token ${id}`);

    const driver = run(
      'token',
      'create',
      '--role',
      'driver',
      '--subject',
      'd-42',
      '--expires-in',
      '30d',
      '--data-dir',
      dir,
    );
    expect(driver.status, driver.stderr).toBe(0);

    const list = run('token', 'list', '--data-dir', dir);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain(`${id}\toperator\t-\t"night shift"`);
    expect(list.stdout).toMatch(/\tdriver\td-42\t/);
    expect(list.stdout).not.toContain(token.slice(21));

    expect(run('token', 'revoke', id, '--data-dir', dir).stdout).toBe(`revoked ${id}\n`);
    expect(run('token', 'list', '--data-dir', dir).stdout).not.toContain(id);
    const again = run('token', 'revoke', id, '--data-dir', dir);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`GL_NOT_FOUND: no live token ${id}`);
  }, 120_000);

  it('bad usage is exit 2 with a precise message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-cli-token-bad-'));
    const cases: Array<[string[], string]> = [
      [['token', 'create', '--data-dir', dir], 'create needs --role'],
      [
        ['token', 'create', '--role', 'customer', '--data-dir', dir],
        '--role must be one of admin, operator, driver, service',
      ],
      [
        ['token', 'create', '--role', 'driver', '--data-dir', dir],
        'subject: a driver token needs the driver id',
      ],
      [
        ['token', 'create', '--role', 'admin', '--subject', 'x', '--data-dir', dir],
        'subject: a admin token acts for nobody',
      ],
      [
        ['token', 'create', '--role', 'admin', '--expires-in', 'soon', '--data-dir', dir],
        '--expires-in must be a number and a unit',
      ],
      [['token', 'revoke', 'nope', '--data-dir', dir], 'expected a token id'],
      [['token', 'burn', '--data-dir', dir], 'unknown token action "burn"'],
    ];
    for (const [args, message] of cases) {
      const r = run(...args);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr).toContain(message);
    }
    const help = run('token', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('gridlink-central token create --role ROLE');
  }, 120_000);
});

describe('the first admin token', () => {
  it('is written once to DATA_DIR/initial-admin-token (0600) on first start, never again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-cli-first-'));
    const first = await startAndStop(dir);
    const file = join(dir, 'initial-admin-token');
    expect(first).toContain(`first start: an admin API token is in ${file} (mode 0600)`);
    const token = readFileSync(file, 'utf8').trim();
    expect(token).toMatch(/^glt_/);
    expect(first).not.toContain(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const second = await startAndStop(dir);
    expect(second).not.toContain('first start');
    expect(readFileSync(file, 'utf8').trim()).toBe(token);
    const list = run('token', 'list', '--data-dir', dir);
    expect(list.stdout.match(/\tadmin\t/g)).toHaveLength(1);
    expect(await tokensWith(dir, token)).toBe(200);
  }, 180_000);

  it('a database that got an admin token from the CLI first mints none at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-cli-first-cli-'));
    expect(run('token', 'create', '--role', 'admin', '--data-dir', dir).status).toBe(0);
    const out = await startAndStop(dir);
    expect(out).not.toContain('first start');
    expect(run('token', 'list', '--data-dir', dir).stdout.match(/\tadmin\t/g)).toHaveLength(1);
  }, 180_000);
});
