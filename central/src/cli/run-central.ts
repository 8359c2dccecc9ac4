import { once } from 'node:events';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatZodIssues, isGridlinkError, parsePortFlag, stopRequested } from '@gridlink/shared';
import { pino } from 'pino';
import { bootstrapFirstAdmin, mintToken } from '../auth/index.js';
import { type StartDecorators, startCentral } from '../central.js';
import { centralConfigSchema } from '../config/index.js';
import type { CoordinatorFaults } from '../federation/index.js';
import { fail, obj, readConfigFile } from './config-file.js';

const HELP = `gridlink-central — GridLink central aggregator (HTTP API, MQTT broker, ingest, storage)

Usage: gridlink-central [options]
       gridlink-central token create|list|revoke …   API tokens (gridlink-central token --help)
       gridlink-central import-stations …           a charging network CSV (import-stations --help)

Options:
  --config FILE          JSON or YAML config file (flags below override it)
  --data-dir DIR         where the embedded database lives (default data/central)
  --http-host HOST       HTTP bind address (default 127.0.0.1)
  --http-port PORT       HTTP port (default 8080; 0 = any free port)
  --mqtt-host HOST       embedded MQTT broker bind address (default 127.0.0.1)
  --mqtt-port PORT       embedded MQTT broker port (default 1883; 0 = any free port)
  --port-fallback        when a port is taken, say so and move to a free one
  --database-url URL     use PostgreSQL (postgres://…) instead of embedded PGlite
  --log-level LEVEL      trace|debug|info|warn|error|silent (default info)
  --log-file FILE        write JSON logs to FILE instead of stdout
  -h, --help             show this help

First start: on a database that never had an admin token, an admin token is written to
DATA_DIR/initial-admin-token (mode 0600) and its path printed; later starts mint none
(docs/DEPLOY.md). More tokens: gridlink-central token create --role admin|operator|driver|service.
Run under a supervisor with an IPC channel (the demo, the soak), the ready message carries a
fresh admin token labelled 'startup' (earlier ones revoked); it is never printed.
Environment: GRIDLINK_DATABASE_URL is read when --database-url is absent.
GRIDLINK_FEDERATION_FAULT (tests only: crash-after-tries|crash-after-decision) makes the
federation coordinator kill its own process at that point once (docs/FEDERATION.md).
Exit codes: 0 clean stop (SIGINT/SIGTERM), 1 start-up failure, 2 bad usage or config.`;

function port(value: string | undefined, flag: string): number | undefined {
  try {
    return parsePortFlag(value, flag);
  } catch (err) {
    fail(2, (err as Error).message);
  }
}

/** What a program that embeds the CLI may add to the central it starts (see StartDecorators). */
export interface RunCentralOptions {
  decorate?: StartDecorators;
}

/**
 * `gridlink-central [options]`: parses `argv` (the arguments after the program name), starts the
 * central, reports ready and runs until SIGINT/SIGTERM. Exits the process on a usage or start-up
 * error (codes in HELP).
 */
export async function runCentral(argv: string[], options: RunCentralOptions = {}): Promise<void> {
  let values: ReturnType<typeof parse>['values'];
  function parse() {
    return parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        'http-host': { type: 'string' },
        'http-port': { type: 'string' },
        'mqtt-host': { type: 'string' },
        'mqtt-port': { type: 'string' },
        'port-fallback': { type: 'boolean' },
        'database-url': { type: 'string' },
        'log-level': { type: 'string' },
        'log-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  }
  try {
    values = parse().values;
  } catch (err) {
    fail(2, `${(err as Error).message}\nRun gridlink-central --help for usage.`);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }

  // Flags override the file; the merged object is validated as a whole just below.
  const file = obj(values.config ? readConfigFile(values.config) : {});
  const fileHttp = obj(file.http);
  const fileMqtt = obj(file.mqtt);
  const fallback = values['port-fallback'] ? true : undefined;
  const input = {
    ...file,
    dataDir: values['data-dir'] ?? file.dataDir,
    databaseUrl: values['database-url'] ?? file.databaseUrl ?? process.env.GRIDLINK_DATABASE_URL,
    http: {
      ...fileHttp,
      host: values['http-host'] ?? fileHttp.host,
      port: port(values['http-port'], '--http-port') ?? fileHttp.port,
      portFallback: fallback ?? fileHttp.portFallback,
    },
    mqtt:
      fileMqtt.mode === 'external'
        ? fileMqtt
        : {
            mode: 'embedded',
            ...fileMqtt,
            host: values['mqtt-host'] ?? fileMqtt.host,
            port: port(values['mqtt-port'], '--mqtt-port') ?? fileMqtt.port,
            portFallback: fallback ?? fileMqtt.portFallback,
          },
    log: { ...obj(file.log), level: values['log-level'] ?? obj(file.log).level },
  };
  const checked = centralConfigSchema.safeParse(JSON.parse(JSON.stringify(input)));
  if (!checked.success) fail(2, `GL_CONFIG_INVALID: ${formatZodIssues(checked.error)}`);

  const destination = values['log-file']
    ? pino.destination({ dest: values['log-file'], mkdir: true, sync: false })
    : pino.destination(1);
  // A file opens asynchronously: exiting before it is open makes pino's exit flush throw.
  if (values['log-file']) await once(destination, 'ready');
  const logger = pino({ level: checked.data.log.level, base: { svc: 'central' } }, destination);
  const stopping = stopRequested();
  logger.info(
    { dataDir: checked.data.dataDir, storage: checked.data.databaseUrl ? 'postgres' : 'pglite' },
    'starting',
  );
  let central: Awaited<ReturnType<typeof startCentral>>;
  try {
    const federationFaults = federationFaultOf(process.env.GRIDLINK_FEDERATION_FAULT);
    central = await startCentral(checked.data, {
      logger,
      decorate: options.decorate,
      ...(federationFaults ? { federationFaults } : {}),
    });
  } catch (err) {
    const code = isGridlinkError(err) ? err.code : 'GL_INTERNAL';
    fail(1, `${code}: ${(err as Error).message}`);
  }

  let adminToken: string | undefined;
  const firstAdmin = await bootstrapFirstAdmin(central.database.db, new Date());
  let firstAdminFile: string | undefined;
  if (firstAdmin) {
    mkdirSync(checked.data.dataDir, { recursive: true });
    firstAdminFile = join(checked.data.dataDir, 'initial-admin-token');
    writeFileSync(firstAdminFile, `${firstAdmin}\n`, { mode: 0o600 });
    chmodSync(firstAdminFile, 0o600); // mode applies only to a new file
  }
  if (process.send) {
    await central.database.db
      .updateTable('api_tokens')
      .set({ revoked_at: new Date() })
      .where('label', '=', 'startup')
      .where('revoked_at', 'is', null)
      .execute();
    adminToken = await mintToken(central.database.db, { role: 'admin', label: 'startup' });
  }
  const moved = [
    central.http.movedFrom !== undefined
      ? `HTTP port ${central.http.movedFrom} was taken; using ${central.http.port}`
      : '',
    central.broker?.bound.movedFrom !== undefined
      ? `MQTT port ${central.broker.bound.movedFrom} was taken; using ${central.broker.bound.port}`
      : '',
    central.legacy.seedC?.movedFrom !== undefined
      ? `seed C port ${central.legacy.seedC.movedFrom} was taken; using ${central.legacy.seedC.port}`
      : '',
  ].filter(Boolean);
  for (const line of moved) process.stderr.write(`gridlink-central: ${line}\n`);
  // Human lines on stderr: stdout carries only the JSON log (docs/OBSERVABILITY.md).
  process.stderr.write(
    `gridlink-central ready: HTTP ${central.http.url} (docs ${central.http.url}/docs), MQTT ${central.mqttUrl}, storage ${central.database.kind}\n`,
  );
  if (firstAdminFile)
    process.stderr.write(
      `first start: an admin API token is in ${firstAdminFile} (mode 0600); it is not shown again. Read it, keep it elsewhere, delete the file.\n`,
    );
  process.send?.({
    type: 'ready',
    httpUrl: central.http.url,
    mqttUrl: central.mqttUrl,
    adminToken,
    moved,
    // Seed C's journey server, when on (docs/LEGACY-SEED-C.md): the demo points journeys at it.
    seedC: central.legacy.seedC
      ? { host: central.legacy.seedC.host, port: central.legacy.seedC.port }
      : null,
  });

  const signal = await stopping;
  logger.info({ signal }, 'stopping');
  await central.close();
  logger.flush();
  process.exit(0);
}

/**
 * The federation coordinator's test-only fault hook (docs/FEDERATION.md, "Test-only fault
 * hook"): the process kills itself, once, every try answered (`crash-after-tries`) or the
 * decision written (`crash-after-decision`). Process-level fault tests set it; unset, nothing.
 */
function federationFaultOf(value: string | undefined): CoordinatorFaults | undefined {
  if (!value) return undefined;
  let fired = false;
  const crash = () => {
    if (fired) return;
    fired = true;
    process.kill(process.pid, 'SIGKILL');
  };
  if (value === 'crash-after-tries') return { afterTries: crash };
  if (value === 'crash-after-decision') return { afterDecision: crash };
  fail(2, `GRIDLINK_FEDERATION_FAULT: ${value} is not crash-after-tries or crash-after-decision`);
}
