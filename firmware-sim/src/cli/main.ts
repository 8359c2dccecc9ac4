import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { isGridlinkError } from '@gridlink/shared';
import { pino } from 'pino';
import {
  type Fleet,
  parseScenario,
  parseScenarioYaml,
  type Scenario,
  startFleet,
} from '../fleet/index.js';
import { type CliOptions, HELP, parseCliArgs, UsageError } from './args.js';

/** The one place the simulator CLI touches the process: argv, stdout/stderr, IPC, signals, exit. */

function fail(code: number, message: string): never {
  process.stderr.write(`gridlink-sim: ${message}\n`);
  process.exit(code);
}

function unitRange(n: number): string {
  return n === 1 ? 'unit id 1' : `unit ids 1-${n}`;
}

/** The scenario the flags describe, or the scenario file. */
function scenarioOf(options: CliOptions): Scenario {
  if (options.scenario !== undefined) {
    return parseScenarioYaml(readFileSync(options.scenario, 'utf8'), options.scenario);
  }
  return parseScenario({
    seed: options.seed,
    modbusTcp: {
      host: options.host,
      port: options.modbusPort,
      fallback: options.portFallback,
      meters: options.modbusMeters ?? options.meters,
      ...(options.metersPerPort === undefined ? {} : { metersPerPort: options.metersPerPort }),
    },
    ...(options.udpMeters && options.udpTarget
      ? {
          udpMeters: {
            count: options.udpMeters,
            target: options.udpTarget,
            intervalMs: options.intervalMs ?? 1000,
          },
        }
      : {}),
    ...(options.jsonMeters && options.jsonTarget
      ? {
          tcpJsonMeters: {
            count: options.jsonMeters,
            target: options.jsonTarget,
            intervalMs: options.intervalMs ?? 1000,
          },
        }
      : {}),
    ...(options.chargers
      ? {
          chargers: {
            host: options.host,
            count: options.chargers,
            port: options.chargerPort ?? 0,
            fallback: options.portFallback,
          },
        }
      : {}),
    ...(options.kebaChargers
      ? {
          kebaChargers: {
            host: options.host,
            count: options.kebaChargers,
            transport: options.kebaTransport ?? 'udp',
            port: options.kebaPort ?? 0,
            vehicle: options.kebaVehicle ?? false,
          },
        }
      : {}),
    ...(options.cars && options.carBroker && options.carPassword !== undefined
      ? {
          cars: {
            count: options.cars,
            broker: options.carBroker,
            password: options.carPassword,
            ...(options.carIntervalMs === undefined ? {} : { intervalMs: options.carIntervalMs }),
          },
        }
      : {}),
    ...(options.journeyClients && options.journeyTarget
      ? { journeyClients: { count: options.journeyClients, target: options.journeyTarget } }
      : {}),
    ...(options.controlPort === undefined ? {} : { control: { port: options.controlPort } }),
  });
}

async function run(options: CliOptions): Promise<void> {
  const destination = options.logFile
    ? pino.destination({ dest: options.logFile, mkdir: true, sync: false })
    : pino.destination(2);
  // A file opens asynchronously: exiting before it is open makes pino's exit flush throw.
  if (options.logFile) await once(destination, 'ready');
  const logger = pino({ level: options.logLevel, base: { svc: 'firmware-sim' } }, destination);
  let sim: Fleet | undefined;
  let progress: NodeJS.Timeout | undefined;
  // Handlers first: a signal that arrives while starting still ends in a clean stop (exit 0).
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'stopping');
    if (progress) clearInterval(progress);
    if (sim) {
      if (process.stderr.isTTY) process.stderr.write('\n');
      if (options.truthOut) {
        writeFileSync(
          options.truthOut,
          `${sim
            .truth()
            .map((t) => JSON.stringify(t))
            .join('\n')}\n`,
        );
      }
      process.stdout.write(`gridlink-sim stopped: ${JSON.stringify(sim.summary())}\n`);
    }
    await sim?.close();
    logger.flush();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // A parent that spawned us with IPC and went away: do not linger.
  process.on('disconnect', () => void stop('parent-exit'));

  try {
    sim = await startFleet(scenarioOf(options), { logger });
  } catch (err) {
    if (isGridlinkError(err, 'GL_PORT_IN_USE')) {
      fail(
        1,
        `${err.code}: ${err.message} (use --port-fallback to move to a free port, or --modbus-port 0)`,
      );
    }
    fail(
      1,
      isGridlinkError(err)
        ? `${err.code}: ${err.message}`
        : `GL_INTERNAL: ${(err as Error).stack ?? err}`,
    );
  }

  const fleet = sim;
  const first = fleet.modbusTcp[0];
  const tcpMeters = [...fleet.devices.values()]
    .filter((d) => d.kind === 'modbus-meter')
    .map((d) => d.info() as { deviceId: string; unitId: number; profile: string; port?: number })
    .filter((d) => first !== undefined && d.port === first.port)
    .map(({ deviceId, unitId, profile }) => ({ deviceId, unitId, profile }));
  for (const t of [...fleet.modbusTcp, ...fleet.chargers]) {
    if (t.movedFrom !== undefined) {
      process.stderr.write(
        `gridlink-sim: Modbus TCP port ${t.movedFrom} was taken; using ${t.port}\n`,
      );
    }
  }
  if (first) {
    process.stdout.write(
      `gridlink-sim ready: ${first.meters} meter(s) (eastron-sdm630) on Modbus TCP ${first.host}:${first.port}, ${unitRange(first.meters)}, seed ${options.seed}\n`,
    );
  }
  process.stdout.write(
    `gridlink-sim fleet: ${JSON.stringify(fleet.summary())}; Modbus TCP ports ${fleet.modbusTcp.map((t) => t.port).join(',') || 'none'}${fleet.chargers.length > 0 ? `; chargers on Modbus TCP ports ${fleet.chargers.map((t) => t.port).join(',')}` : ''}${fleet.keba.length > 0 ? `; KEBA stations (${fleet.keba[0]?.transport}) on ports ${fleet.keba.map((k) => k.port).join(',')}` : ''}${fleet.modbusRtu.map((r) => `; RTU ${r.clientPath ?? r.path} @${r.baudRate}`).join('')}${fleet.control ? `; control ${fleet.control.url}` : ''}\n`,
  );
  process.send?.({
    type: 'ready',
    modbusTcp: first
      ? {
          host: first.host,
          port: first.port,
          ...(first.movedFrom === undefined ? {} : { movedFrom: first.movedFrom }),
        }
      : null,
    devices: tcpMeters,
    fleet: {
      modbusTcp: fleet.modbusTcp,
      modbusRtu: fleet.modbusRtu.map((r) => ({
        path: r.path,
        clientPath: r.clientPath,
        baudRate: r.baudRate,
      })),
      chargers: fleet.chargers,
      keba: fleet.keba,
      control: fleet.control ?? null,
      counts: fleet.summary(),
    },
  });
  if (process.stderr.isTTY) {
    const began = Date.now();
    progress = setInterval(() => {
      const s = fleet.summary();
      const mem = Math.round(process.memoryUsage().rss / 2 ** 20);
      process.stderr.write(
        `\r${Math.round((Date.now() - began) / 1000)}s ${JSON.stringify(s)} rss ${mem} MiB   `,
      );
    }, 1000);
    progress.unref();
  }
}

async function main(): Promise<void> {
  let command: ReturnType<typeof parseCliArgs>;
  try {
    command = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) fail(2, `${err.message}\nRun gridlink-sim --help for usage.`);
    throw err;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  await run(command.options);
}

main().catch((err: unknown) => {
  fail(1, `GL_INTERNAL: ${(err as Error).stack ?? String(err)}`);
});
