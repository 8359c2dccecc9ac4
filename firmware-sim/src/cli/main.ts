import { isGridlinkError } from '@gridlink/shared';
import { pino } from 'pino';
import { type Simulator, startSimulator } from '../fleet/index.js';
import { type CliOptions, HELP, parseCliArgs, UsageError } from './args.js';

/** The one place the simulator CLI touches the process: argv, stdout/stderr, IPC, signals, exit. */

function fail(code: number, message: string): never {
  process.stderr.write(`gridlink-sim: ${message}\n`);
  process.exit(code);
}

function unitRange(n: number): string {
  return n === 1 ? 'unit id 1' : `unit ids 1-${n}`;
}

async function run(options: CliOptions): Promise<void> {
  const logger = pino(
    { level: options.logLevel, base: { svc: 'firmware-sim' } },
    pino.destination(2),
  );
  let sim: Simulator | undefined;
  // Handlers first: a signal that arrives while starting still ends in a clean stop (exit 0).
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'stopping');
    await sim?.close();
    logger.flush();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // A parent that spawned us with IPC and went away: do not linger.
  process.on('disconnect', () => void stop('parent-exit'));

  try {
    sim = await startSimulator({
      meters: options.meters,
      modbusTcp: { port: options.modbusPort, host: options.host, fallback: options.portFallback },
      profile: 'eastron-sdm630',
      seed: options.seed,
      logger,
    });
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

  const { host, port, movedFrom } = sim.modbusTcp;
  if (movedFrom !== undefined) {
    process.stderr.write(`gridlink-sim: Modbus TCP port ${movedFrom} was taken; using ${port}\n`);
  }
  process.stdout.write(
    `gridlink-sim ready: ${sim.devices.length} meter(s) (eastron-sdm630) on Modbus TCP ${host}:${port}, ${unitRange(sim.devices.length)}, seed ${options.seed}\n`,
  );
  process.send?.({ type: 'ready', modbusTcp: sim.modbusTcp, devices: sim.devices });
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
