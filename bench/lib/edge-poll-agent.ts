/**
 * Part d of bench/edge-poll.ts: the edge agent as installed — the CLI (`gridlink-edge`) in its
 * own process, with `devices` Modbus TCP meters configured against the simulator. The central is
 * unreachable (nothing listens on the MQTT port), so readings stay in the log, as on an edge that
 * is offline. After `warmupMs` the child's RSS (VmRSS from /proc) is sampled every 250 ms for
 * `sampleMs`; then it is stopped with SIGTERM and its log is opened to count what it stored.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openReadingLog } from '@gridlink/edge';
import { readUnitEnvironment, readUnitScript } from '../../deploy/systemd/unit-env.js';
import { sleep } from './fleet-host.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const edgeUnit = join(root, 'deploy', 'systemd', 'gridlink-edge.service');

/** How the agent runs: the systemd unit's compiled script and environment, or variations. */
export type AgentRuntime =
  | { kind: 'unit' }
  /** The unit's script (the bundle) without the unit's environment: V8 and glibc defaults. */
  | { kind: 'build-defaults' }
  /** The unit's environment, but the compiled modules (edge/build) instead of the bundle. */
  | { kind: 'modules' }
  /** The development bin: TypeScript through tsx, V8 defaults. */
  | { kind: 'tsx' };

export interface EdgeAgentJob {
  /** Gateways of the simulator: unit ids 1..meters behind each host:port. */
  endpoints: Array<{ host: string; port: number; meters: number }>;
  devices: number;
  intervalMs: number;
  warmupMs: number;
  sampleMs: number;
  runtime: AgentRuntime;
}

export interface EdgeAgentReport {
  rssPeakMiB: number;
  rssMeanMiB: number;
  readingsLogged: number;
  /** Polls due between the ready message and SIGTERM (polling starts just before ready). */
  readingsExpected: number;
  /** Error-level log lines over the whole run, shutdown included. */
  errorLines: number;
  firstError: string | null;
  /** Warn-level lines (the heap headroom warning would be one). */
  warnLines: number;
}

function program(runtime: AgentRuntime): { script: string; env: Record<string, string> } {
  if (runtime.kind === 'tsx') return { script: 'edge/bin/gridlink-edge.js', env: {} };
  const script = readUnitScript(edgeUnit);
  if (runtime.kind === 'build-defaults') return { script, env: {} };
  if (runtime.kind === 'modules') {
    const env = readUnitEnvironment(edgeUnit);
    return {
      script: 'edge/build/cli/main.js',
      env: { ...env, NODE_OPTIONS: `--conditions=gridlink-build ${env.NODE_OPTIONS ?? ''}` },
    };
  }
  return { script, env: readUnitEnvironment(edgeUnit) };
}

async function vmRssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}

export async function runEdgeAgent(job: EdgeAgentJob): Promise<EdgeAgentReport> {
  const dir = await mkdtemp(join(tmpdir(), 'gl-bench-edge-'));
  const devices: unknown[] = [];
  for (const e of job.endpoints) {
    for (let unit = 1; unit <= e.meters && devices.length < job.devices; unit++) {
      devices.push({
        id: `m-${e.port}-${unit}`,
        driver: 'modbus-tcp',
        host: e.host,
        port: e.port,
        unitId: unit,
        profile: 'eastron-sdm630',
        intervalMs: job.intervalMs,
      });
    }
  }
  const configPath = join(dir, 'edge.json');
  const logFile = join(dir, 'edge.log');
  await writeFile(
    configPath,
    JSON.stringify({
      edgeId: 'bench-edge',
      dataDir: join(dir, 'data'),
      mqtt: { url: 'mqtt://127.0.0.1:1', password: 'bench-secret' },
      devices,
    }),
  );
  const { script, env } = program(job.runtime);
  const child = fork(
    join(root, script),
    ['--config', configPath, '--log-level', 'warn', '--log-file', logFile],
    {
      cwd: root,
      execArgv: [],
      env: { ...process.env, NODE_OPTIONS: '', ...env },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  const exited = once(child, 'exit');
  try {
    await Promise.race([
      once(child, 'message'),
      exited.then(([code]) => {
        throw new Error(`edge agent exited ${code} before it was ready`);
      }),
    ]);
    const started = performance.now();
    await sleep(job.warmupMs);
    const samples: number[] = [];
    const until = performance.now() + job.sampleMs;
    while (performance.now() < until) {
      samples.push(await vmRssBytes(child.pid as number));
      await sleep(250);
    }
    const seconds = (performance.now() - started) / 1000;
    child.kill('SIGTERM');
    const [code] = await exited;
    if (code !== 0) throw new Error(`edge agent exited ${code} on SIGTERM`);

    const log = await openReadingLog({
      dir: join(dir, 'data', 'log'),
      sync: false,
      maxBytes: 256 * 2 ** 20,
      maxAgeMs: 30 * 86_400_000,
    });
    const readingsLogged = log.stats().lastSeq;
    await log.close();
    const lines = (await readFile(logFile, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg?: string; err?: unknown });
    const errors = lines.filter((l) => l.level >= 50);
    const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
    return {
      rssPeakMiB: mib(Math.max(...samples)),
      rssMeanMiB: mib(samples.reduce((a, b) => a + b, 0) / samples.length),
      readingsLogged,
      readingsExpected: Math.round((job.devices * seconds * 1000) / job.intervalMs),
      errorLines: errors.length,
      firstError: errors[0]
        ? `${errors[0].msg ?? ''} ${JSON.stringify(errors[0].err ?? '')}`
        : null,
      warnLines: lines.filter((l) => l.level === 40).length,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}
