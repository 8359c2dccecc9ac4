import { parseArgs } from 'node:util';
import { CONTROL_API_HELP } from '../control/index.js';
import { MAX_UNIT_ID } from '../fleet/index.js';

export const HELP = `gridlink-sim — GridLink firmware simulator: simulated meters, EV chargers and cars, by the thousand

Usage: gridlink-sim [options]

Serves N meters (profile eastron-sdm630) as Modbus unit ids 1..N behind one Modbus TCP port,
with device ids meter-1..meter-N. Values follow a seeded, deterministic physical model.

Options:
  --meters N           how many meters on the first Modbus TCP port, 1-${MAX_UNIT_ID} (default 3)
  --modbus-port PORT   Modbus TCP port, 0-65535 (default 5020; 0 = any free port); with
                       --modbus-meters, port i of the fleet is PORT+i
  --modbus-meters N    a big Modbus TCP fleet: N meters spread over ports, unit ids 1-${MAX_UNIT_ID}
                       per port (overrides --meters); device ids meter-1..meter-N
  --meters-per-port N  unit ids per Modbus TCP port, 1-${MAX_UNIT_ID} (default ${MAX_UNIT_ID})
  --host HOST          bind address (default 127.0.0.1)
  --port-fallback      when the port is taken, move to a free one and say so
  --udp-meters N       N UDP datagram meters (SEEDS D) sending "cpf,meter_id,kWh,timestamp"
  --udp-target H:P     where UDP meters send (required with --udp-meters)
  --json-meters N      N TCP JSON meters (SEEDS E) sending {"id","consumption","datetime","type"}
  --json-target H:P    where TCP JSON meters connect (required with --json-meters)
  --interval-ms MS     reading interval of UDP/JSON meters (default 1000); UDP meters spread
                       their sends evenly over it
  --chargers N         N GridLink AC chargers (profile gridlink-charger) over Modbus TCP, unit
                       ids 1-${MAX_UNIT_ID} per port, device ids charger-1..charger-N
  --charger-port PORT  first Modbus TCP port of the chargers (default 0 = any free port)
  --keba-chargers N    N KEBA KeContact P30 stations, device ids keba-1..keba-N, one port each
  --keba-transport T   udp (default: the KeContact UDP protocol, i / report 1|2|3 / ena / curr /
                       setenergy / unlock) or modbus-tcp (profile keba-p30, unit id 255)
  --keba-port PORT     port of keba-1, keba-n on PORT+n-1 (default 0 = any free ports; a real
                       station listens on UDP 7090 / Modbus TCP 502)
  --keba-vehicle       plug a vehicle that takes the whole offer into every KEBA station
  --cars N             N cars as MQTT clients publishing carros/{plate}/status and /bateria
  --car-broker H:P     the MQTT broker cars connect to (required with --cars)
  --car-password TPL   each car's MQTT password, {plate} replaced by its plate (username =
                       plate; required with --cars)
  --car-interval-ms MS how often cars publish (default 5000)
  --journey-clients N  N seed C journey users over TCP, each running START, LOGIN, NAVIGATION,
                       SELECTION_STATION, PAYMENT once at start (user name = a seeded plate)
  --journey-target H:P the seed C journey server (required with --journey-clients)
  --scenario FILE      start the fleet a YAML scenario describes (see docs/SIMULATOR.md);
                       excludes the device flags above (--meters, --modbus-meters,
                       --udp-meters, --json-meters, --chargers, --keba-chargers, --cars)
  --control-port PORT  serve the control API on 127.0.0.1:PORT (0 = any free port)
  --truth-out FILE     on stop, write every device's ground truth to FILE (JSON lines)
  --seed N             seed of the models, 0-4294967295 (default 1); same seed, same fleet
  --log-level LEVEL    trace|debug|info|warn|error|silent, JSON logs on stderr (default warn)
  --log-file FILE      write the JSON logs to FILE instead of stderr (the demo: data/logs/sim.log)
  -h, --help           show this help

Modes: Modbus TCP meters (many unit ids per port, many ports); Modbus RTU meters on a serial
path or on a socat pty pair the simulator creates (scenario modbusRtu: wire time at the baud
rate, 11 bits/char, 3.5-char frame gaps, per-device reply delay); UDP and TCP JSON meters.
Faults: no-reply, late-reply, bad-crc, wrong-unit, exception, short-frame, garbage-reply
(KEBA UDP), counter-reset, tamper, link-flap, clock-skew, connector-fault (chargers) — set at
start (scenario faults) or through the control API. Chargers: connector states available,
preparing, charging, finishing, reserved, faulted, unavailable, driven by writes of the
profile's command registers. KEBA stations: State 1 not ready (no vehicle), 2 ready, 3
charging, 4 error, 5 suspended (disabled, current 0, energy limit reached); enable, current,
energy limit and unlock by UDP command or Modbus register 5004-5014 (function 06). Cars:
battery drains while driving, fills while plugged into a charger (control API).

${CONTROL_API_HELP}

When started with an IPC channel, sends {type: 'ready', modbusTcp, devices, fleet} once serving.
On a TTY a progress line runs on stderr; on stop a summary is printed on stdout.
Exit codes: 0 clean stop (SIGINT/SIGTERM), 1 start-up failure, 2 bad usage.`;

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface CliOptions {
  meters: number;
  modbusPort: number;
  host: string;
  portFallback: boolean;
  seed: number;
  logLevel: LogLevel;
  /** JSON logs to this file instead of stderr. */
  logFile?: string;
  modbusMeters?: number;
  metersPerPort?: number;
  udpMeters?: number;
  udpTarget?: { host: string; port: number };
  jsonMeters?: number;
  jsonTarget?: { host: string; port: number };
  intervalMs?: number;
  scenario?: string;
  controlPort?: number;
  truthOut?: string;
  chargers?: number;
  chargerPort?: number;
  kebaChargers?: number;
  kebaTransport?: 'udp' | 'modbus-tcp';
  kebaPort?: number;
  kebaVehicle?: boolean;
  cars?: number;
  carBroker?: { host: string; port: number };
  carPassword?: string;
  carIntervalMs?: number;
  journeyClients?: number;
  journeyTarget?: { host: string; port: number };
}

export type CliCommand = { kind: 'help' } | { kind: 'run'; options: CliOptions };

/** A command line the simulator cannot run with; the message says which flag and why. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function integer(
  flag: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer ${min}-${max}, got "${value}"`);
  }
  return n;
}

/** Parses the command line (without node and script), pure: no exit, no output. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  let values: ReturnType<typeof parse>['values'];
  function parse() {
    return parseArgs({
      args: [...argv],
      options: {
        meters: { type: 'string' },
        'modbus-port': { type: 'string' },
        host: { type: 'string' },
        'port-fallback': { type: 'boolean' },
        seed: { type: 'string' },
        'log-level': { type: 'string' },
        'log-file': { type: 'string' },
        'modbus-meters': { type: 'string' },
        'meters-per-port': { type: 'string' },
        'udp-meters': { type: 'string' },
        'udp-target': { type: 'string' },
        'json-meters': { type: 'string' },
        'json-target': { type: 'string' },
        'interval-ms': { type: 'string' },
        scenario: { type: 'string' },
        'control-port': { type: 'string' },
        'truth-out': { type: 'string' },
        chargers: { type: 'string' },
        'charger-port': { type: 'string' },
        'keba-chargers': { type: 'string' },
        'keba-transport': { type: 'string' },
        'keba-port': { type: 'string' },
        'keba-vehicle': { type: 'boolean' },
        cars: { type: 'string' },
        'car-broker': { type: 'string' },
        'car-password': { type: 'string' },
        'car-interval-ms': { type: 'string' },
        'journey-clients': { type: 'string' },
        'journey-target': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  }
  try {
    values = parse().values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return { kind: 'help' };
  const logLevel = values['log-level'] ?? 'warn';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join('|')}, got "${logLevel}"`);
  }
  if (values.host !== undefined && values.host.trim() === '') {
    throw new UsageError('--host must not be empty');
  }
  const options: CliOptions = {
    meters: integer('--meters', values.meters, 3, 1, MAX_UNIT_ID),
    modbusPort: integer('--modbus-port', values['modbus-port'], 5020, 0, 65535),
    host: values.host ?? '127.0.0.1',
    portFallback: values['port-fallback'] ?? false,
    seed: integer('--seed', values.seed, 1, 0, 0xffffffff),
    logLevel: logLevel as LogLevel,
  };
  if (values['log-file'] !== undefined) {
    if (values['log-file'].trim() === '') throw new UsageError('--log-file must not be empty');
    options.logFile = values['log-file'];
  }
  const optional = (flag: string, value: string | undefined, min: number, max: number) =>
    value === undefined ? undefined : integer(flag, value, 0, min, max);
  const extra = {
    modbusMeters: optional('--modbus-meters', values['modbus-meters'], 1, 100_000),
    metersPerPort: optional('--meters-per-port', values['meters-per-port'], 1, MAX_UNIT_ID),
    udpMeters: optional('--udp-meters', values['udp-meters'], 1, 100_000),
    udpTarget: target('--udp-target', values['udp-target']),
    jsonMeters: optional('--json-meters', values['json-meters'], 1, 100_000),
    jsonTarget: target('--json-target', values['json-target']),
    intervalMs: optional('--interval-ms', values['interval-ms'], 1, 86_400_000),
    controlPort: optional('--control-port', values['control-port'], 0, 65535),
    scenario: nonEmpty('--scenario', values.scenario),
    truthOut: nonEmpty('--truth-out', values['truth-out']),
    chargers: optional('--chargers', values.chargers, 1, 100_000),
    chargerPort: optional('--charger-port', values['charger-port'], 0, 65535),
    kebaChargers: optional('--keba-chargers', values['keba-chargers'], 1, 10_000),
    kebaTransport: kebaTransport(values['keba-transport']),
    kebaPort: optional('--keba-port', values['keba-port'], 0, 65535),
    kebaVehicle: values['keba-vehicle'],
    cars: optional('--cars', values.cars, 1, 100_000),
    carBroker: target('--car-broker', values['car-broker']),
    carPassword: nonEmpty('--car-password', values['car-password']),
    carIntervalMs: optional('--car-interval-ms', values['car-interval-ms'], 1, 86_400_000),
    journeyClients: optional('--journey-clients', values['journey-clients'], 1, 100_000),
    journeyTarget: target('--journey-target', values['journey-target']),
  };
  if (extra.journeyClients !== undefined && !extra.journeyTarget) {
    throw new UsageError('--journey-clients needs --journey-target HOST:PORT');
  }
  if (extra.cars !== undefined && (!extra.carBroker || extra.carPassword === undefined)) {
    throw new UsageError('--cars needs --car-broker HOST:PORT and --car-password TEMPLATE');
  }
  if (extra.udpMeters !== undefined && !extra.udpTarget) {
    throw new UsageError('--udp-meters needs --udp-target HOST:PORT');
  }
  if (extra.jsonMeters !== undefined && !extra.jsonTarget) {
    throw new UsageError('--json-meters needs --json-target HOST:PORT');
  }
  if (extra.scenario !== undefined) {
    for (const flag of [
      'meters',
      'modbus-meters',
      'udp-meters',
      'json-meters',
      'chargers',
      'keba-chargers',
      'cars',
      'journey-clients',
    ] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--scenario excludes --${flag}`);
    }
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = value;
  }
  return { kind: 'run', options };
}

function kebaTransport(value: string | undefined): 'udp' | 'modbus-tcp' | undefined {
  if (value === undefined || value === 'udp' || value === 'modbus-tcp') return value;
  throw new UsageError(`--keba-transport must be udp or modbus-tcp, got "${value}"`);
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw new UsageError(`${flag} must not be empty`);
  return value;
}

function target(
  flag: string,
  value: string | undefined,
): { host: string; port: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(.+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port < 1 || port > 65535)
    throw new UsageError(`${flag} must be HOST:PORT, got "${value}"`);
  return { host: m[1] as string, port };
}
