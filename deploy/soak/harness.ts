/**
 * Parts the store-and-forward fault scripts share (deploy/test/*-faults.test.ts and
 * `npm run soak`): real processes spawned from the CLIs with an IPC channel, a fresh PostgreSQL
 * database, an in-process edge (real LevelDB log, real Uplink, real MQTT client) fed by a
 * synthetic producer, and seeded randomness so every kill moment replays.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scratchPostgres } from '@gridlink/central/testing';
import { type NewReading, openReadingLog, type ReadingLog, Uplink } from '@gridlink/edge';
import { seededRandom } from '@gridlink/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { type Logger, pino } from 'pino';

export const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export { PG_ADMIN_URL } from '@gridlink/central/testing';
export { seededRandom };

/** A fresh, empty PostgreSQL database; `drop()` removes it. */
export const freshPostgres = () => scratchPostgres('gl_test');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A CLI spawned with an IPC channel: `ready` is its `{type:'ready'}` message. */
export interface Child<R> {
  readonly proc: ChildProcess;
  readonly ready: Promise<R>;
  readonly exited: Promise<Exit>;
  stderr(): string;
  kill(signal: NodeJS.Signals): Promise<Exit>;
}

const BINS = {
  central: 'central/bin/gridlink-central.js',
  edge: 'edge/bin/gridlink-edge.js',
  sim: 'firmware-sim/bin/gridlink-sim.js',
  /** gridlink-central with the crash-before-ack fault (flags, then `--`, then the central's). */
  'central-crash-before-ack': 'deploy/soak/crash-before-ack.ts',
} as const;

export function spawnCli<R>(
  which: keyof typeof BINS,
  args: string[],
  env: Record<string, string> = {},
): Child<R> {
  const file = join(root, BINS[which]);
  const loader = file.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const proc = spawn(process.execPath, [...loader, file, ...args], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    cwd: root,
    env: { ...process.env, ...env },
  });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 100_000) stderr = stderr.slice(-50_000);
  });
  const exited = new Promise<Exit>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  const ready = new Promise<R>((resolveReady, reject) => {
    proc.on('message', (m: { type?: string }) => {
      if (m?.type === 'ready') resolveReady(m as R);
    });
    void exited.then((e) =>
      reject(
        new Error(
          `${which} exited (${e.signal ?? e.code}) before it was ready: ${stderr.slice(-2000)}`,
        ),
      ),
    );
  });
  ready.catch(() => undefined);
  return {
    proc,
    ready,
    exited,
    stderr: () => stderr,
    kill: async (signal) => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export interface CentralReady {
  type: 'ready';
  httpUrl: string;
  mqttUrl: string;
  adminToken: string;
}

/** Registers an edge through the central's API, as an operator would; returns its MQTT secret. */
export async function provisionEdge(central: CentralReady, edgeId: string): Promise<string> {
  const res = await fetch(`${central.httpUrl}/api/v1/edges/${edgeId}/credential`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${central.adminToken}` },
  });
  if (!res.ok) throw new Error(`provisioning ${edgeId}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { secret: string }).secret;
}

/**
 * A synthetic device fleet writing straight into the edge's log, fast: one group commit per
 * `append`, consecutive seqs, a distinct timestamp per reading, values derived from the seq.
 */
export class SyntheticProducer {
  readonly #log: ReadingLog;
  readonly #notify: () => void;
  readonly #devices: number;
  readonly #t0: number;
  #n = 0;
  #timer: NodeJS.Timeout | undefined;
  #busy: Promise<void> = Promise.resolve();

  constructor(log: ReadingLog, notify: () => void, devices = 8, t0 = 1_767_225_600_000) {
    this.#log = log;
    this.#notify = notify;
    this.#devices = devices;
    this.#t0 = t0;
  }

  next(count: number): NewReading[] {
    return Array.from({ length: count }, () => {
      const n = this.#n++;
      return {
        deviceId: `meter-${(n % this.#devices) + 1}`,
        ts: this.#t0 + n,
        quality: 'good' as const,
        values: {
          voltage_l1: 220 + (n % 17) / 10,
          current_l1: 5 + (n % 13) / 100,
          power_total: 3000 + (n % 101),
          energy_import: Math.floor(n / this.#devices) / 100,
        },
      };
    });
  }

  async append(count: number): Promise<void> {
    await this.#log.append(this.next(count));
    this.#notify();
  }

  /** Appends `perTick` readings every `everyMs` until stop(). */
  steady(perTick: number, everyMs: number): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.#busy = this.#busy.then(() => this.append(perTick)).catch(() => undefined);
    }, everyMs);
  }

  /** Stops the steady producer; resolves after its last append committed. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#busy;
  }
}

export interface InProcessEdge {
  readonly log: ReadingLog;
  readonly uplink: Uplink;
  readonly client: MqttClient;
  readonly producer: SyntheticProducer;
  /** Resolves once the central acknowledged every committed seq (the log has nothing pending). */
  drained(): Promise<void>;
  close(): Promise<void>;
}

export interface InProcessEdgeOptions {
  edgeId: string;
  dir: string;
  mqttUrl: string;
  secret: string;
  maxBytes?: number;
  seed: number;
  maxReadings?: number;
  window?: number;
  logger?: Logger;
  /** Wraps the log the producer and the uplink use (a fault decorator, e.g. poison.ts). */
  decorateLog?: (log: ReadingLog) => ReadingLog;
}

/**
 * The edge's store-and-forward half in this process, exactly as the agent wires it: the LevelDB
 * log, an mqtt.js client reconnecting with backoff, and the Uplink. Readings come from a
 * SyntheticProducer instead of pollers, so a backlog of 100,000 takes seconds, not hours.
 */
export async function startInProcessEdge(o: InProcessEdgeOptions): Promise<InProcessEdge> {
  const logger = o.logger ?? pino({ level: 'silent' });
  const opened = await openReadingLog({
    dir: join(o.dir, 'log'),
    sync: false,
    maxBytes: o.maxBytes,
  });
  const log = o.decorateLog ? o.decorateLog(opened) : opened;
  const client = mqtt.connect(o.mqttUrl, {
    username: o.edgeId,
    password: o.secret,
    clientId: `edge-${o.edgeId}`,
    clean: true,
    reconnectPeriod: 100,
    connectTimeout: 5_000,
  });
  client.on('error', () => undefined); // refused while the central restarts: mqtt.js retries
  const uplink = new Uplink({
    edgeId: o.edgeId,
    log,
    mqtt: client,
    logger,
    batch: { maxReadings: o.maxReadings ?? 500, maxBytes: 256 * 1024, maxDelayMs: 20 },
    window: o.window ?? 4,
    resendAfterMs: 2_000,
    reconnect: { initialMs: 50, maxMs: 400, random: seededRandom(o.seed) },
  });
  uplink.start();
  const producer = new SyntheticProducer(log, () => uplink.notify());
  return {
    log,
    uplink,
    client,
    producer,
    async drained() {
      while (log.stats().pending > 0) await once(uplink, 'ack');
    },
    async close() {
      await producer.stop();
      uplink.stop();
      await client.endAsync(true);
      await log.close();
    },
  };
}
