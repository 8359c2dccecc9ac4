/**
 * Child process of bench/edge-poll.ts: the whole edge agent (`startEdge`: drivers, pollers,
 * LevelDB log, uplink, MQTT client, metrics, remote config) with `devices` Modbus TCP meters
 * configured against the simulator. The central is unreachable (nothing listens on the MQTT
 * port), so readings stay in the log, as on an edge that is offline. After `warmupMs` the RSS is
 * sampled every 250 ms for `sampleMs` and reported over IPC.
 */
import { type EdgeConfigInput, startEdge } from '@gridlink/edge';
import { pino } from 'pino';

export interface EdgeAgentJob {
  dataDir: string;
  mqttUrl: string;
  /** Gateways of the simulator: unit ids 1..meters behind each host:port. */
  endpoints: Array<{ host: string; port: number; meters: number }>;
  devices: number;
  intervalMs: number;
  warmupMs: number;
  sampleMs: number;
}

export interface EdgeAgentReport {
  rssPeakMiB: number;
  rssMeanMiB: number;
  heapUsedMiB: number;
  readingsLogged: number;
  online: number;
  overruns: number;
  /** Error-level log lines while the agent closed (polls in flight racing the shutdown). */
  closeErrors: number;
  firstCloseError: string | null;
}

const job = JSON.parse(process.argv[2] ?? '{}') as EdgeAgentJob;
const devices: NonNullable<EdgeConfigInput['devices']> = [];
for (const e of job.endpoints) {
  for (let unit = 1; unit <= e.meters && devices.length < job.devices; unit++) {
    devices.push({
      id: `m-${e.port}-${unit}`,
      driver: 'modbus-tcp' as const,
      host: e.host,
      port: e.port,
      unitId: unit,
      profile: 'eastron-sdm630',
      intervalMs: job.intervalMs,
    });
  }
}

// Error-level lines are counted, not printed: they are part of the report.
let closing = false;
let closeErrors = 0;
let firstCloseError: string | null = null;
const logger = pino(
  { level: 'error' },
  {
    write(line: string) {
      if (!closing) return;
      closeErrors++;
      if (firstCloseError === null) {
        const o = JSON.parse(line) as { msg?: string; err?: { message?: string } };
        firstCloseError = `${o.msg ?? ''}${o.err?.message ? `: ${o.err.message}` : ''}`;
      }
    },
  },
);
const agent = await startEdge(
  {
    edgeId: 'bench-edge',
    dataDir: job.dataDir,
    mqtt: { url: job.mqttUrl, password: 'bench-secret' },
    devices,
  },
  { logger },
);

const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
await new Promise((r) => setTimeout(r, job.warmupMs));
const samples: number[] = [];
const until = performance.now() + job.sampleMs;
while (performance.now() < until) {
  samples.push(process.memoryUsage.rss());
  await new Promise((r) => setTimeout(r, 250));
}
const health = agent.devices().map((d) => d.health);
const heapUsed = process.memoryUsage().heapUsed;
const readingsLogged = agent.log.stats().lastSeq;
closing = true;
await agent.close();
await new Promise((r) => setTimeout(r, 100));
const report: EdgeAgentReport = {
  rssPeakMiB: mib(Math.max(...samples)),
  rssMeanMiB: mib(samples.reduce((a, b) => a + b, 0) / samples.length),
  heapUsedMiB: mib(heapUsed),
  readingsLogged,
  online: health.filter((h) => h.online).length,
  overruns: health.reduce((a, h) => a + h.overruns, 0),
  closeErrors,
  firstCloseError,
};
process.send?.(report, () => process.exit(0));
