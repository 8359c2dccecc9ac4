/**
 * `npm start`: the whole system on one machine — central (embedded MQTT broker + PGlite), one edge
 * agent and a simulated fleet — as three real processes, wired the way an operator would: the
 * edge's credential comes from the central's API. Ctrl-C stops everything cleanly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readUnitEnvironment, readUnitScript } from '../systemd/unit-env.js';
import {
  chargerDevices,
  DEMO_CARS,
  DEMO_CHARGERS,
  DEMO_DRIVER,
  DEMO_PIX,
  type DemoEv,
  evScenario,
  setUpDemoEv,
} from './seed-ev.js';
import {
  bindPendingSeedDMeters,
  demoApi,
  freePort,
  provisionSeedEMeters,
  SEED_D_METERS,
  SEED_E_METERS,
  type SeedMeter,
  seedMeterListeners,
  seedMeterScenario,
} from './seed-meters.js';
import { DEMO_COMPANY, importDemoNetwork } from './seed-network.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const dataDir = resolve(process.env.GRIDLINK_DATA_DIR ?? join(root, 'data'));
const httpPort = process.env.GRIDLINK_HTTP_PORT ?? '8080';
const mqttPort = process.env.GRIDLINK_MQTT_PORT ?? '1883';
const modbusPort = process.env.GRIDLINK_MODBUS_PORT ?? '5020';
const meters = process.env.GRIDLINK_DEMO_METERS ?? '3';
const pollMs = Number(process.env.GRIDLINK_DEMO_POLL_MS ?? '2000');
const EDGE_ID = 'demo-edge';
/** Seed C journeys the simulator runs against the central at start-up (docs/LEGACY-SEED-C.md). */
const DEMO_JOURNEYS = 20;
/** The edge's Prometheus endpoint (metrics.port): 9464, Prometheus' usual exporter port. */
const edgeMetricsWanted = Number(process.env.GRIDLINK_EDGE_METRICS_PORT ?? '9464');

/** `wanted` on 127.0.0.1 when it is free, else any free port (the demo moves like the central). */
async function edgeMetricsPort(wanted: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number | undefined>((done) => {
      const server = createServer();
      server.once('error', () => done(undefined));
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => done(typeof address === 'object' && address ? address.port : undefined));
      });
    });
  return (await tryPort(wanted)) ?? (await tryPort(0)) ?? 0;
}
/**
 * GRIDLINK_DEMO_BUILD=1: central and edge run from the compiled build (`npm run build`) with
 * plain node, the script and environment of their systemd units (deploy/systemd), as installed.
 */
const useBuild = process.env.GRIDLINK_DEMO_BUILD === '1';

/** The bin (TypeScript through tsx), or with GRIDLINK_DEMO_BUILD the unit's compiled script. */
function program(name: 'central' | 'edge'): { script: string; env: Record<string, string> } {
  if (!useBuild) return { script: `${name}/bin/gridlink-${name}.js`, env: {} };
  const unit = join(root, 'deploy', 'systemd', `gridlink-${name}.service`);
  const script = readUnitScript(unit);
  if (!existsSync(join(root, script)))
    throw new Error(`${script} is missing: run npm run build first (GRIDLINK_DEMO_BUILD=1)`);
  return { script, env: readUnitEnvironment(unit) };
}

interface Ready {
  type: 'ready';
  [key: string]: unknown;
}

const children: Array<{ name: string; proc: ChildProcess }> = [];
let stopping = false;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function start(
  name: string,
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Ready> {
  const proc = spawn(process.execPath, [join(root, script), ...args], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    cwd: root,
    env: { ...process.env, ...env },
  });
  children.push({ name, proc });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const line of d.toString().split('\n').filter(Boolean))
      process.stderr.write(`[${name}] ${line}\n`);
  });
  return new Promise((resolveReady, reject) => {
    proc.on('message', (m: Ready) => {
      if (m?.type === 'ready') resolveReady(m);
    });
    proc.on('exit', (code, signal) => {
      reject(
        new Error(
          `${name} exited (${signal ?? code}) before it was ready${stderr ? `:\n${stderr.slice(-2000)}` : ''}`,
        ),
      );
      if (!stopping) {
        say(
          `\n${name} stopped unexpectedly (${signal ?? code}); see ${join(dataDir, 'logs', `${name}.log`)}. Stopping the demo.`,
        );
        void shutdown(1);
      }
    });
  });
}

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    // Reverse order: stop producing before stopping the consumer.
    for (const { proc } of [...children].reverse()) {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGINT');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
    }
  }
  process.exit(code);
}

async function main(): Promise<void> {
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  mkdirSync(join(dataDir, 'edge'), { recursive: true });
  // Seed D's terminal on (docs/LEGACY-SEED-D.md): its original client runs unchanged from this machine.
  // Seed B on, anonymous (docs/LEGACY-SEED-B.md).
  const seedDConfig = join(dataDir, 'central-seed-d.json');
  writeFileSync(
    seedDConfig,
    JSON.stringify({
      legacy: {
        seedD: {
          enabled: true,
          portFallback: true,
          edgeId: EDGE_ID,
          anonymous: {
            enabled: true,
            routes: [
              'cadCliente',
              'cadMedidor',
              'postConsumo',
              'getConsumoHist',
              'getFatura',
              'getAlarme',
            ],
          },
        },
        // Seed B's station clients (docs/LEGACY-SEED-B.md): anonymous, as the original connects;
        // server id `servidor-1` answers with company `feira` (import its network to list it).
        seedB: { enabled: true, servers: { 'servidor-1': 'feira' }, anonymous: true },
        // Seed A's REST face (docs/EV.md, "Seed A"): anonymous from this machine, as the original.
        seedA: { enabled: true, anonymous: true },
        // Seed C's journey server: port 8889, not the original 8888 that seed D's terminal has.
        seedC: { enabled: true, port: 8889, portFallback: true, anonymous: { enabled: true } },
      },
      // The Pix receiver on invoices and charging receipts (deploy/demo/seed-ev.ts).
      billing: { pix: DEMO_PIX },
    }),
  );
  say(
    `GridLink demo — data in ${dataDir}${useBuild ? ' (compiled build, systemd unit settings)' : ''}`,
  );

  const centralProgram = program('central');
  const central = await start(
    'central',
    centralProgram.script,
    [
      '--data-dir',
      join(dataDir, 'central'),
      '--http-port',
      httpPort,
      '--mqtt-port',
      mqttPort,
      '--port-fallback',
      '--config',
      seedDConfig,
      '--log-file',
      join(dataDir, 'logs', 'central.log'),
    ],
    centralProgram.env,
  );
  const httpUrl = central.httpUrl as string;
  const token = central.adminToken as string;
  for (const line of (central.moved as string[]) ?? []) say(`  note: ${line}`);
  // The charging network: the Feira de Santana stations, imported again (unchanged) on restart.
  const network = await importDemoNetwork(httpUrl, token);

  // Beside the Modbus meters, seed D (UDP) and seed E (TCP JSON) meters (deploy/demo/seed-meters.ts)
  // sending to the edge's listeners on free ports.
  const seedPorts = { udpPort: await freePort('udp'), tcpPort: await freePort('tcp') };
  const scenarioPath = join(dataDir, 'sim-scenario.json');
  // Seed C journeys book anywhere but the station the demo's chargers serve (row 1 of the file).
  const seedC = central.seedC as { host: string; port: number } | null;
  const listed = await fetch(`${httpUrl}/api/v1/stations?company=${DEMO_COMPANY}&limit=500`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const chargersStation = (
    (await listed.json()) as { items: Array<{ id: number; externalId: string }> }
  ).items.find((st) => st.externalId === '1');
  writeFileSync(
    scenarioPath,
    JSON.stringify({
      seed: 1,
      modbusTcp: {
        host: '127.0.0.1',
        port: Number(modbusPort),
        fallback: true,
        meters: Number(meters),
      },
      // At most one reading a second: the meters' wall-clock times have whole seconds.
      ...seedMeterScenario({ ...seedPorts, intervalMs: Math.max(1000, pollMs) }),
      // GridLink chargers (Modbus TCP) and cars (MQTT), with the control API (deploy/demo/seed-ev.ts).
      ...evScenario({ mqttUrl: central.mqttUrl as string }),
      ...(seedC
        ? {
            journeyClients: {
              count: DEMO_JOURNEYS,
              target: seedC,
              avoidStations: chargersStation ? [chargersStation.id] : [],
            },
          }
        : {}),
    }),
  );
  const sim = await start('sim', 'firmware-sim/bin/gridlink-sim.js', [
    '--scenario',
    scenarioPath,
    '--log-level',
    'info',
    '--log-file',
    join(dataDir, 'logs', 'sim.log'),
  ]);
  const modbus = sim.modbusTcp as { host: string; port: number };
  if (Number(modbusPort) !== 0 && modbus.port !== Number(modbusPort))
    say(`  note: Modbus TCP port ${modbusPort} was taken; using ${modbus.port}`);
  const devices = sim.devices as Array<{ deviceId: string; unitId: number; profile: string }>;
  const simFleet = sim.fleet as {
    chargers: Array<{ host: string; port: number; chargers: number }>;
    control: { url: string } | null;
  };

  // Provision the edge as an operator would: register it and take its MQTT secret from the API.
  const res = await fetch(`${httpUrl}/api/v1/edges/${EDGE_ID}/credential`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}` },
  });
  if (!res.ok) throw new Error(`registering the edge failed: ${res.status} ${await res.text()}`);
  const { secret } = (await res.json()) as { secret: string };
  const metricsPort = await edgeMetricsPort(edgeMetricsWanted);
  if (metricsPort !== edgeMetricsWanted)
    say(`  note: edge metrics port ${edgeMetricsWanted} was taken; using ${metricsPort}`);
  const edgeConfig = {
    edgeId: EDGE_ID,
    dataDir: join(dataDir, 'edge'),
    mqtt: { url: central.mqttUrl as string, password: secret },
    statusIntervalMs: 10_000,
    uplink: { maxDelayMs: 500 },
    // On, as an installed edge would have it: Prometheus scrapes it (deploy/grafana).
    metrics: { enabled: true, host: '127.0.0.1', port: metricsPort },
    ...seedMeterListeners(seedPorts),
    devices: devices
      .map((d) => ({
        id: d.deviceId,
        profile: d.profile,
        driver: 'modbus-tcp',
        host: modbus.host,
        port: modbus.port,
        unitId: d.unitId,
        intervalMs: pollMs,
      }))
      .concat(chargerDevices(simFleet.chargers, Math.min(pollMs, 1000)) as never[]),
  };
  const configPath = join(dataDir, 'edge', 'edge.json');
  writeFileSync(configPath, JSON.stringify(edgeConfig, null, 2), { mode: 0o600 });
  chmodSync(configPath, 0o600);
  const edgeProgram = program('edge');
  await start(
    'edge',
    edgeProgram.script,
    ['--config', configPath, '--log-file', join(dataDir, 'logs', 'edge.log')],
    edgeProgram.env,
  );

  // The chargers bound, the driver and its cars with their credentials, through the API.
  const ev: DemoEv = await setUpDemoEv({
    httpUrl,
    token,
    edgeId: EDGE_ID,
    company: DEMO_COMPANY,
    controlUrl: simFleet.control?.url as string,
  });
  const mqttHostPort = new URL(central.mqttUrl as string);

  say('');
  say(`  Web API      ${httpUrl}/api/v1/meters`);
  say(`  API docs     ${httpUrl}/docs   (OpenAPI document: ${httpUrl}/openapi.json)`);
  say(`  MQTT broker  ${central.mqttUrl as string}   (every client authenticates)`);
  say(
    `  Modbus TCP   ${modbus.host}:${modbus.port}   (${devices.length} simulated SDM630 meters, unit ids 1-${devices.length})`,
  );
  say(
    `  Seed meters  ${SEED_D_METERS} seed D (UDP ${seedPorts.udpPort}: bound from the edge's pending list), ${SEED_E_METERS} seed E (TCP JSON ${seedPorts.tcpPort}: provisioned); see ${httpUrl}/api/v1/edges/${EDGE_ID}/pending-devices`,
  );
  say(
    `  Charging     ${network.stations} Feira de Santana stations, ${network.points} points (company ${DEMO_COMPANY}${network.created === 0 ? ', already imported' : ''}): ${httpUrl}/api/v1/stations?company=${DEMO_COMPANY}`,
  );
  for (const warning of network.warnings) say(`               import note, ${warning}`);
  say(
    `  Chargers     ${DEMO_CHARGERS} GridLink chargers (Modbus TCP ${simFleet.chargers.map((c) => `${c.host}:${c.port}`).join(', ')}) bound to ${ev.stationName} (station ${ev.stationId}): ${ev.bindings.map((b) => `${b.deviceId} → point ${b.pointId}`).join(', ')}`,
  );
  say(
    `  Cars         ${DEMO_CARS} simulated cars over MQTT, plates ${ev.cars.map((c) => `${c.plate} (${c.deviceId})`).join(', ')}, credentials issued by the central`,
  );
  if (seedC)
    say(
      `  Seed C       TCP ${seedC.host}:${seedC.port} (journey envelopes, anonymous from this machine; ${DEMO_JOURNEYS} simulated journeys at start-up)`,
    );
  say(
    `  Driver       document ${DEMO_DRIVER.document}, password ${DEMO_DRIVER.password} (driver ${ev.driverId}): POST ${httpUrl}/api/v1/auth/driver-login`,
  );
  say(
    `  Sim control  ${simFleet.control?.url}/devices   (plug a car: PUT /devices/car-1/plug {"chargerId":"charger-1"})`,
  );
  say(
    `  Watch        mosquitto_sub -h ${mqttHostPort.hostname} -p ${mqttHostPort.port} -u ${ev.watcher.username} -P ${ev.watcher.secret} -i ${ev.watcher.username}:sub -v -t 'pontos/${ev.bindings[0]?.pointId}/disponibilidade' -t 'reservas/+/status'`,
  );
  say(`  Demo path    README.md, "Demo: book, charge, pay"`);
  say(`  Admin token  ${token}`);
  say(
    `  Metrics      ${httpUrl}/metrics (operator or admin token), edge http://127.0.0.1:${metricsPort}/metrics`,
  );
  say(`  Logs         ${join(dataDir, 'logs')}/   (JSON lines: central.log, edge.log, sim.log)`);
  say('');
  say(`  Try: curl -H "Authorization: Bearer ${token}" ${httpUrl}/api/v1/meters/1/readings`);
  say('  Ctrl-C stops everything.');
  say('');

  process.on('SIGINT', () => {
    say('\nstopping…');
    void shutdown(0);
  });
  process.on('SIGTERM', () => void shutdown(0));

  // The seed meters' customers and bindings, made through the API once the Modbus meters have
  // their ids (1..N, as the lines above say): seed E provisioned, then seed D bound from the
  // pending list as the edge reports it (docs/PROVISIONING.md).
  const api = demoApi(httpUrl, token);
  const bound: SeedMeter[] = [];
  let seedEProvisioned = false;
  let binding = false;
  const binder = setInterval(async () => {
    if (binding) return;
    binding = true;
    try {
      if (!seedEProvisioned) {
        const known = await api('GET', '/meters');
        if ((known.body.items?.length ?? 0) < Number(meters)) return;
        bound.push(...(await provisionSeedEMeters(api, EDGE_ID)));
        seedEProvisioned = true;
      }
      bound.push(...(await bindPendingSeedDMeters(api, EDGE_ID)));
      if (bound.filter((m) => m.kind === 'seed D (UDP)').length >= SEED_D_METERS)
        clearInterval(binder);
    } catch {
      /* central restarting or stopping: the next tick tries again */
    } finally {
      binding = false;
    }
  }, 1000);
  binder.unref();

  // A live progress line: what has arrived at the central.
  const progress = setInterval(async () => {
    try {
      const r = await fetch(`${httpUrl}/api/v1/edges`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const { items } = (await r.json()) as {
        items: Array<{
          id: string;
          status: { log?: { lastSeq: number; ackedUpTo: number; pending: number } } | null;
        }>;
      };
      const log = items.find((e) => e.id === EDGE_ID)?.status?.log;
      if (log)
        process.stdout.write(
          `\r  edge log: ${log.lastSeq} readings committed, ${log.ackedUpTo} stored at the central, ${log.pending} pending   `,
        );
    } catch {
      /* central restarting or stopping: the next tick will tell */
    }
  }, 5000);
  progress.unref();
}

main().catch(async (err: Error) => {
  process.stderr.write(`demo failed to start: ${err.message}\n`);
  await shutdown(1);
});
