import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { isGridlinkError, stopRequested } from '@gridlink/shared';
import { pino } from 'pino';
import { startEdge } from '../agent/index.js';
import {
  checkEdgeProfiles,
  type EdgeConfig,
  loadEdgeConfigFile,
  parseEdgeConfig,
} from '../config/index.js';
import { heapHeadroomWarning } from './heap-headroom.js';

const HELP = `gridlink-edge — GridLink edge agent (polls devices, keeps a crash-safe log, forwards over MQTT)

Usage: gridlink-edge --config FILE [options]

Options:
  --config FILE      YAML or JSON edge config (see deploy/examples/edge.yaml)
  --data-dir DIR     override dataDir from the config (where the LevelDB log lives)
  --check            validate the config and exit (0 = valid, 2 = invalid)
  --log-level LEVEL  trace|debug|info|warn|error|silent (default info)
  --log-file FILE    write JSON logs to FILE instead of stdout
  -h, --help         show this help

The MQTT password may also come from GRIDLINK_EDGE_SECRET (it overrides the file).
Exit codes: 0 clean stop (SIGINT/SIGTERM), 1 start-up failure, 2 bad usage or config.`;

function fail(code: number, message: string): never {
  process.stderr.write(`gridlink-edge: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let values: {
    config?: string;
    'data-dir'?: string;
    check?: boolean;
    'log-level'?: string;
    'log-file'?: string;
    help?: boolean;
  };
  try {
    values = parseArgs({
      options: {
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        check: { type: 'boolean' },
        'log-level': { type: 'string' },
        'log-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    fail(2, `${(err as Error).message}\nRun gridlink-edge --help for usage.`);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (!values.config) fail(2, '--config FILE is required. Run gridlink-edge --help for usage.');

  let config: EdgeConfig;
  try {
    const file = loadEdgeConfigFile(values.config);
    const secret = process.env.GRIDLINK_EDGE_SECRET;
    config = parseEdgeConfig(
      {
        ...file,
        dataDir: values['data-dir'] ?? file.dataDir,
        mqtt: { ...file.mqtt, password: secret ?? file.mqtt.password },
      },
      values.config,
    );
    // Profiles are files: a device naming none, or a broken file, is a config error (exit 2).
    checkEdgeProfiles(config, values.config);
  } catch (err) {
    fail(2, isGridlinkError(err) ? `${err.code}: ${err.message}` : (err as Error).message);
  }
  const tight = heapHeadroomWarning(config.devices.length, getHeapStatistics().heap_size_limit);
  if (values.check) {
    process.stdout.write(`${values.config}: valid (${config.devices.length} devices)\n`);
    if (tight) process.stderr.write(`gridlink-edge: warning: ${tight}\n`);
    return;
  }

  const level = values['log-level'] ?? 'info';
  const destination = values['log-file']
    ? pino.destination({ dest: values['log-file'], mkdir: true, sync: false })
    : pino.destination(1);
  // A file opens asynchronously: exiting before it is open makes pino's exit flush throw.
  if (values['log-file']) await once(destination, 'ready');
  const logger = pino({ level, base: { svc: 'edge', edgeId: config.edgeId } }, destination);
  if (tight) logger.warn(tight);
  const stopping = stopRequested();
  let agent: Awaited<ReturnType<typeof startEdge>>;
  try {
    agent = await startEdge(config, { logger });
  } catch (err) {
    fail(
      1,
      isGridlinkError(err)
        ? `${err.code}: ${err.message}`
        : `GL_INTERNAL: ${(err as Error).message}`,
    );
  }
  // Human lines on stderr: stdout carries only the JSON log (docs/OBSERVABILITY.md).
  process.stderr.write(
    `gridlink-edge ${config.edgeId} running: ${config.devices.length} devices, log epoch ${agent.log.epoch}${
      agent.metricsPort === undefined
        ? ''
        : `, metrics on http://${config.metrics.host}:${agent.metricsPort}/metrics`
    }; uplink ${
      // The connection is made in the background: say what is true now, not what is hoped.
      agent.uplink.stats().ready ? 'connected' : 'not connected yet (the log says when it is)'
    }\n`,
  );
  process.send?.({
    type: 'ready',
    edgeId: config.edgeId,
    epoch: agent.log.epoch,
    devices: config.devices.length,
  });

  // The agent runs until it is told to stop. Its own handles may all be unref'd (no device, the
  // broker unreachable: the reconnect timer and the status interval are), and a pending promise
  // does not keep node alive: without this the edge exited 0 right after "running", waiting for
  // its central, and a SIGTERM that came while it was exiting killed it.
  const alive = setInterval(() => undefined, 1 << 30);
  const signal = await stopping;
  clearInterval(alive);
  logger.info({ signal }, 'stopping');
  await agent.close();
  logger.flush();
  process.exit(0);
}

main().catch((err) => fail(1, `GL_INTERNAL: ${(err as Error).stack ?? err}`));
