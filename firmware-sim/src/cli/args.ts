import { parseArgs } from 'node:util';
import { MAX_UNIT_ID } from '../fleet/index.js';

export const HELP = `gridlink-sim — GridLink firmware simulator: a fleet of simulated energy meters

Usage: gridlink-sim [options]

Serves N meters (profile eastron-sdm630) as Modbus unit ids 1..N behind one Modbus TCP port,
with device ids meter-1..meter-N. Values follow a seeded, deterministic physical model.

Options:
  --meters N           how many meters, 1-${MAX_UNIT_ID} (default 3)
  --modbus-port PORT   Modbus TCP port, 0-65535 (default 5020; 0 = any free port)
  --host HOST          bind address (default 127.0.0.1)
  --port-fallback      when the port is taken, move to a free one and say so
  --seed N             seed of the models, 0-4294967295 (default 1); same seed, same fleet
  --log-level LEVEL    trace|debug|info|warn|error|silent, JSON logs on stderr (default warn)
  -h, --help           show this help

When started with an IPC channel, sends {type: 'ready', modbusTcp, devices} once serving.
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
  return {
    kind: 'run',
    options: {
      meters: integer('--meters', values.meters, 3, 1, MAX_UNIT_ID),
      modbusPort: integer('--modbus-port', values['modbus-port'], 5020, 0, 65535),
      host: values.host ?? '127.0.0.1',
      portFallback: values['port-fallback'] ?? false,
      seed: integer('--seed', values.seed, 1, 0, 0xffffffff),
      logLevel: logLevel as LogLevel,
    },
  };
}
