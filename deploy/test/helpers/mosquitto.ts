import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';

/** The shipped Mosquitto config and ACL (docs/SCALE-OUT.md). */
export const mosquittoDir = resolve(fileURLToPath(new URL('../../mosquitto/', import.meta.url)));

const tool = (name: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
/** mosquitto and mosquitto_passwd are on the PATH. */
export const mosquittoInstalled = tool('mosquitto') && tool('mosquitto_passwd');

/** The seed B plugin's sources (deploy/mosquitto/legacy-plugin). */
const legacyPluginDir = join(mosquittoDir, 'legacy-plugin');
/** cc, make and the Mosquitto plugin headers (Debian mosquitto-dev, libmosquitto-dev) are here. */
export const legacyPluginBuildable =
  tool('cc') &&
  tool('make') &&
  ['mosquitto_broker.h', 'mosquitto_plugin.h', 'mosquitto.h'].every((h) =>
    existsSync(join('/usr/include', h)),
  );

/**
 * Builds gridlink_legacy.so with its own Makefile into a fresh directory (readable by the
 * mosquitto user); returns the file's path and a clean-up.
 */
export async function buildLegacyPlugin(): Promise<{ path: string; remove(): Promise<void> }> {
  const out = await mkdtemp(join(tmpdir(), 'gl-legacy-plugin-'));
  chmodSync(out, 0o755);
  execFileSync('make', ['-s', '-C', legacyPluginDir, `OUT=${out}`], { stdio: 'pipe' });
  return {
    path: join(out, 'gridlink_legacy.so'),
    remove: () => rm(out, { recursive: true, force: true }),
  };
}

/** A port that was free a moment ago (Mosquitto cannot listen on 0 and report back). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface RunningMosquitto {
  url: string;
  port: number;
  /** The broker's process id (bench/scale.ts reads its CPU time from /proc). */
  pid: number;
  /** Seed B's anonymous listener, when started with `seedB` (gridlink-seed-b.conf). */
  seedB?: { url: string; port: number };
  /** What Mosquitto wrote to stderr so far (errors and warnings). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts a real Mosquitto from exactly deploy/mosquitto/gridlink.conf and gridlink.acl (only
 * @DIR@ and @PORT@ filled in) with a password file for `users` (username → secret). Resolves
 * once `probeUser` can connect.
 */
export async function startMosquitto(
  users: Record<string, string>,
  probeUser: string,
  options: {
    /** An ACL to run instead of the shipped file (one made by deploy/mosquitto/generate.ts). */
    acl?: string;
    /**
     * Run gridlink-seed-b.conf instead of gridlink.conf: the same main listener plus seed B's
     * anonymous listener on a free port, with this built gridlink_legacy.so (buildLegacyPlugin).
     */
    seedB?: { plugin: string };
  } = {},
): Promise<RunningMosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'gl-mosquitto-'));
  const port = await freePort();
  let seedBPort = 0;
  while (options.seedB && (seedBPort === 0 || seedBPort === port)) seedBPort = await freePort();
  if (options.acl === undefined)
    copyFileSync(join(mosquittoDir, 'gridlink.acl'), join(dir, 'gridlink.acl'));
  else writeFileSync(join(dir, 'gridlink.acl'), options.acl);
  writeFileSync(
    join(dir, 'mosquitto.conf'),
    readFileSync(
      join(mosquittoDir, options.seedB ? 'gridlink-seed-b.conf' : 'gridlink.conf'),
      'utf8',
    )
      .replaceAll('@DIR@', dir)
      .replaceAll('@PORT@', String(port))
      .replaceAll('@SEED_B_PORT@', String(seedBPort))
      .replaceAll('@PLUGIN@', options.seedB?.plugin ?? '@PLUGIN@'),
  );
  writeFileSync(join(dir, 'passwd'), '');
  for (const [user, secret] of Object.entries(users))
    execFileSync('mosquitto_passwd', ['-b', join(dir, 'passwd'), user, secret]);
  // Started as root, Mosquitto drops to its own user: it must be able to read the files (the
  // password file holds salted hashes only).
  chmodSync(dir, 0o755);
  for (const f of ['gridlink.acl', 'mosquitto.conf', 'passwd']) chmodSync(join(dir, f), 0o644);
  const broker: ChildProcess = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  broker.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = once(broker, 'exit');
  const url = `mqtt://127.0.0.1:${port}`;
  const stop = async () => {
    if (broker.exitCode === null) {
      broker.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  // The broker gives no ready signal: poll a real connect until it is served.
  const probe = async () => {
    if (broker.exitCode !== null) throw new Error(`mosquitto exited:\n${stderr}`);
    try {
      const client = await mqtt.connectAsync(
        url,
        { username: probeUser, password: users[probeUser], reconnectPeriod: 0 },
        false,
      );
      await client.endAsync();
      return true;
    } catch {
      return false;
    }
  };
  // A plain loop, not vi.waitFor: bench/scale.ts starts it outside vitest.
  try {
    const deadline = Date.now() + 10_000;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`mosquitto not serving on ${url} after 10 s`);
      await sleep(50);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const seedB = options.seedB
    ? { url: `mqtt://127.0.0.1:${seedBPort}`, port: seedBPort }
    : undefined;
  return {
    url,
    port,
    pid: broker.pid as number,
    ...(seedB ? { seedB } : {}),
    log: () => stderr,
    stop,
  };
}
