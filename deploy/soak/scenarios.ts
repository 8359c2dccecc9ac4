/**
 * The store-and-forward fault scripts (issue 4). Each builds a fresh system, injects its fault a
 * given number of times at seeded moments, lets the system recover and drain, then reconciles the
 * edge's log against the central's store with the checker. The CI tests run them with the counts
 * the issue asks for; `npm run soak` runs them with hundreds.
 */
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Central, startCentral, upsertEdgeCredential } from '@gridlink/central';
import { createManualClock, startSimulator } from '@gridlink/firmware-sim';
import { edgeTopic } from '@gridlink/shared';
import { pino } from 'pino';
import {
  canonicalValues,
  check,
  openCentralStore,
  type ReconcileReport,
  readCentral,
  readEdgeLog,
  reconcile,
} from '../reconcile/index.js';
import {
  type CentralReady,
  freshPostgres,
  provisionEdge,
  seededRandom,
  spawnCli,
  startInProcessEdge,
} from './harness.js';
import { type PoisoningLog, poisoningLog } from './poison.js';

export interface ScenarioResult {
  name: string;
  report: ReconcileReport;
  /** Scenario-specific figures (kills, backlog, drain rate…). */
  figures: Record<string, number>;
}

export type Progress = (line: string) => void;

const silent = pino({ level: 'silent' });
const quiet: Progress = () => undefined;
const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function tempDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `gl-${name}-`));
}

async function inProcessCentral(dir: string, databaseUrl: string | undefined, mqttPort = 0) {
  return startCentral(
    {
      dataDir: join(dir, 'central'),
      ...(databaseUrl ? { databaseUrl } : {}),
      http: { port: 0 },
      mqtt: { mode: 'embedded', port: mqttPort },
    },
    { logger: silent },
  );
}

function mqttPortOf(central: Central): number {
  const port = central.broker?.bound.port;
  if (port === undefined) throw new Error('the central has no embedded broker');
  return port;
}

/** Highest ack the central published to `edgeId`, and a way to wait for a higher one. */
function watchAcks(central: Central, edgeId: string) {
  const topic = edgeTopic(edgeId, 'ack');
  let upTo = 0;
  const waiters: Array<{ target: number; resolve: () => void }> = [];
  central.broker?.aedes.on('publish', (packet) => {
    if (packet.topic !== topic) return;
    const ack = JSON.parse(packet.payload.toString()) as { upTo: number };
    upTo = Math.max(upTo, ack.upTo);
    for (const w of waiters.splice(0)) {
      if (upTo >= w.target) w.resolve();
      else waiters.push(w);
    }
  });
  return {
    get upTo() {
      return upTo;
    },
    until(target: number): Promise<void> {
      if (upTo >= target) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ target, resolve }));
    },
  };
}

// ───────────────────────────── a. edge killed with SIGKILL ─────────────────────────────

export interface EdgeKillOptions {
  kills: number;
  seed: number;
  /** Longest wait after the edge is ready before the kill (the moment is uniform in 0..this). */
  maxKillDelayMs?: number;
  progress?: Progress;
}

/**
 * The real gridlink-edge process polls a simulated fleet (Modbus TCP) and forwards to a central
 * (embedded broker, PostgreSQL); it is killed with SIGKILL at `kills` seeded moments and
 * restarted on the same data directory each time. The simulator and the central stay up. Every
 * value the simulator served is recorded, so the check includes ground truth.
 */
export async function edgeKills(o: EdgeKillOptions): Promise<ScenarioResult> {
  const progress = o.progress ?? quiet;
  const random = seededRandom(o.seed);
  const dir = await tempDir('edge-kills');
  const pgdb = await freshPostgres();
  const central = await inProcessCentral(dir, pgdb.url);
  const clock = createManualClock(Date.parse('2026-03-10T12:00:00Z'));
  const sim = await startSimulator({
    meters: 8,
    modbusTcp: { port: 0 },
    clock,
    seed: o.seed,
    tickMs: 3_600_000,
  });
  const truth = new Map<string, Map<string, Record<string, number>>>();
  const remember = () => {
    for (const d of sim.devices) {
      const values = sim.groundTruth(d.deviceId);
      if (!values) continue;
      const seen = truth.get(d.deviceId) ?? new Map();
      seen.set(canonicalValues(values), values);
      truth.set(d.deviceId, seen);
    }
  };
  remember();
  // The devices move on every 50 ms; each snapshot they serve is ground truth.
  const ticker = setInterval(() => {
    clock.advance(15_000);
    sim.tick();
    remember();
  }, 50);
  const edgeId = 'edge-kill';
  const acks = watchAcks(central, edgeId);
  const secret = await upsertEdgeCredential(central.database.db, edgeId);
  const configPath = join(dir, 'edge.json');
  await writeFile(
    configPath,
    JSON.stringify({
      edgeId,
      dataDir: join(dir, 'edge'),
      mqtt: { url: central.mqttUrl, password: secret },
      statusIntervalMs: 60_000,
      uplink: { maxDelayMs: 20, maxReadings: 100, resendAfterMs: 1_000 },
      devices: sim.devices.map((d) => ({
        id: d.deviceId,
        profile: 'eastron-sdm630',
        driver: 'modbus-tcp',
        host: '127.0.0.1',
        port: sim.port,
        unitId: d.unitId,
        intervalMs: 100,
      })),
    }),
  );
  const startEdgeProcess = async () => {
    const edge = spawnCli<{ epoch: string }>('edge', [
      '--config',
      configPath,
      '--log-level',
      'warn',
    ]);
    await edge.ready;
    return edge;
  };

  let killsWhileForwarding = 0;
  try {
    for (let k = 0; k < o.kills; k++) {
      const edge = await startEdgeProcess();
      const before = acks.upTo;
      await delay(Math.floor(random() * (o.maxKillDelayMs ?? 800)));
      const exit = await edge.kill('SIGKILL');
      if (exit.signal !== 'SIGKILL') throw new Error(`edge exited ${exit.code} before its kill`);
      if (acks.upTo > before) killsWhileForwarding++;
      if ((k + 1) % 10 === 0)
        progress(`edge kills: ${k + 1}/${o.kills}, central mark ${acks.upTo}`);
    }
    // Recover: the devices stop answering, the edge forwards what it has, then stops cleanly.
    const edge = await startEdgeProcess();
    clearInterval(ticker);
    await sim.close();
    await edge.kill('SIGTERM');
    const { lastSeq } = await readEdgeLog(join(dir, 'edge', 'log'));
    const last = await startEdgeProcess();
    await acks.until(lastSeq);
    await last.kill('SIGTERM');
    await central.ingest.idle();

    const stored = await readCentral(central.database, edgeId);
    const served = new Map([...truth].map(([d, m]) => [d, [...m.values()]]));
    const report = reconcile(await readEdgeLog(join(dir, 'edge', 'log')), stored, served);
    return { name: 'edge-kills', report, figures: { kills: o.kills, killsWhileForwarding } };
  } finally {
    clearInterval(ticker);
    await sim.close();
    await central.close();
    await pgdb.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

// ─────────────────── b. central killed between commit and acknowledgement ───────────────────

export interface CentralKillOptions {
  kills: number;
  seed: number;
  store: 'postgres' | 'pglite';
  /** Probability per ack that the central kills itself after the commit, before the ack. */
  probability?: number;
  progress?: Progress;
}

/**
 * The real gridlink-central CLI (embedded broker) with the crash-before-ack fault armed by the
 * harness (crash-before-ack.ts decorates its broker link): after committing a batch it SIGKILLs
 * itself before publishing the ack, `kills` times, and is restarted on the same data directory
 * and ports. The edge (real log and uplink, synthetic
 * readings) keeps producing throughout.
 */
export async function centralKills(o: CentralKillOptions): Promise<ScenarioResult> {
  const progress = o.progress ?? quiet;
  const dir = await tempDir(`central-kills-${o.store}`);
  const pgdb = o.store === 'postgres' ? await freshPostgres() : undefined;
  const dataDir = join(dir, 'central');
  const dbArgs = pgdb ? ['--database-url', pgdb.url] : [];
  const args = (http: number, mqtt: number) => [
    '--data-dir',
    dataDir,
    ...dbArgs,
    '--http-port',
    String(http),
    '--mqtt-port',
    String(mqtt),
    '--log-level',
    'warn',
  ];
  const edgeId = 'edge-ck';
  let central = spawnCli<CentralReady>('central', args(0, 0));
  let edge: Awaited<ReturnType<typeof startInProcessEdge>> | undefined;
  try {
    const ready = await central.ready;
    const http = Number(new URL(ready.httpUrl).port);
    const mqtt = Number(new URL(ready.mqttUrl).port);
    const secret = await provisionEdge(ready, edgeId);
    edge = await startInProcessEdge({
      edgeId,
      dir: join(dir, 'edge'),
      mqttUrl: ready.mqttUrl,
      secret,
      seed: o.seed,
      maxReadings: 200,
    });
    edge.producer.steady(10, 10);
    while (edge.uplink.stats().lastAcked < 200) await once(edge.uplink, 'ack');
    await central.kill('SIGTERM');

    let kills = 0;
    let lives = 0;
    let lostCommits = 0;
    const crashArgs = (life: number) => [
      '--probability',
      String(o.probability ?? 0.15),
      '--seed',
      String(o.seed * 1000 + life),
      '--',
      ...args(http, mqtt),
    ];
    while (kills < o.kills) {
      // Bounded: a life that ends without the fault (it should not) still counts as a life.
      if (lives > o.kills * 3) throw new Error(`only ${kills} fault kills in ${lives} lives`);
      central = spawnCli<CentralReady>('central-crash-before-ack', crashArgs(lives++));
      const exit = await central.exited;
      const fault = /fault: SIGKILL after commit, before ack of \S+ upTo (\d+)/.exec(
        central.stderr(),
      );
      if (exit.signal !== 'SIGKILL' || !fault)
        throw new Error(`central exited ${exit.signal ?? exit.code}: ${central.stderr()}`);
      kills++;
      // Durability of the commit itself: the killed process's last commit must be in the store.
      const database = await openCentralStore(pgdb ? pgdb.url : dataDir);
      try {
        const mark = (await readCentral(database, edgeId)).streams[0]?.upTo ?? 0;
        if (mark < Number(fault[1])) lostCommits++;
      } finally {
        await database.close();
      }
      if (kills % 10 === 0) progress(`central kills: ${kills}/${o.kills} (${o.store})`);
    }
    central = spawnCli<CentralReady>('central', args(http, mqtt));
    await central.ready;
    await edge.producer.stop();
    await edge.drained();
    const { goBacks, resends } = edge.uplink.stats();
    await edge.close();
    edge = undefined;
    await central.kill('SIGTERM');
    const report = await check({
      centralDb: pgdb ? pgdb.url : dataDir,
      edgeLog: join(dir, 'edge', 'log'),
      edgeId,
    });
    return {
      name: `central-kills-${o.store}`,
      report,
      figures: { kills, lostCommits, goBacks, resends },
    };
  } finally {
    await edge?.close().catch(() => undefined);
    await central.kill('SIGKILL');
    await pgdb?.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

// ───────────────── c. broker restarted mid-stream, then a long uplink outage ─────────────────

export interface OutageOptions {
  seed: number;
  /** Broker (central) restarts while readings stream. */
  restarts: number;
  /** Readings committed during the outage. */
  backlog: number;
  progress?: Progress;
}

/**
 * The central (embedded aedes broker, PostgreSQL) is restarted mid-stream `restarts` times at
 * seeded moments, then stays down while the edge commits `backlog` readings; when it is back,
 * the backlog drains while fresh readings keep arriving. Reports the drain rate.
 */
export async function outageBacklog(o: OutageOptions): Promise<ScenarioResult> {
  const progress = o.progress ?? quiet;
  const random = seededRandom(o.seed);
  const dir = await tempDir('outage');
  const pgdb = await freshPostgres();
  const edgeId = 'edge-outage';
  let central = await inProcessCentral(dir, pgdb.url);
  const mqttPort = mqttPortOf(central);
  const secret = await upsertEdgeCredential(central.database.db, edgeId);
  const edge = await startInProcessEdge({
    edgeId,
    dir: join(dir, 'edge'),
    mqttUrl: central.mqttUrl,
    secret,
    seed: o.seed,
    maxReadings: 1000,
    window: 8,
  });
  const ackedBeyond = async (target: number) => {
    while (edge.uplink.stats().lastAcked < target) await once(edge.uplink, 'ack');
  };
  let closed = false;
  try {
    edge.producer.steady(20, 10);
    for (let r = 0; r < o.restarts; r++) {
      await ackedBeyond(edge.uplink.stats().lastAcked + 1);
      await delay(Math.floor(random() * 300));
      await central.close();
      central = await inProcessCentral(dir, pgdb.url, mqttPort);
    }
    progress(`broker restarts: ${o.restarts}; outage with a backlog of ${o.backlog}`);
    await ackedBeyond(edge.uplink.stats().lastAcked + 1);
    await central.close();
    closed = true;
    const outageFrom = edge.log.stats().lastSeq;
    for (let n = 0; n < o.backlog; n += 1000)
      await edge.producer.append(Math.min(1000, o.backlog - n));
    const backlogEnd = edge.log.stats().lastSeq;
    const backlog = edge.log.stats().pending;
    const t0 = performance.now();
    central = await inProcessCentral(dir, pgdb.url, mqttPort);
    closed = false;
    await ackedBeyond(backlogEnd);
    const drainS = (performance.now() - t0) / 1000;
    await edge.producer.stop();
    await edge.drained();
    const { goBacks, resends } = edge.uplink.stats();
    await edge.close();
    await central.ingest.idle();
    const report = reconcile(
      await readEdgeLog(join(dir, 'edge', 'log')),
      await readCentral(central.database, edgeId),
    );
    return {
      name: 'outage-backlog',
      report,
      figures: {
        restarts: o.restarts,
        backlog,
        outageReadings: backlogEnd - outageFrom,
        drainSeconds: Number(drainS.toFixed(2)),
        drainReadingsPerS: Math.round(backlog / drainS),
        goBacks,
        resends,
      },
    };
  } finally {
    await edge.close().catch(() => undefined);
    if (!closed) await central.close();
    await pgdb.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

// ──────────────────────── d. log capacity exceeded during an outage ────────────────────────

export interface LogFullOptions {
  seed: number;
  /** The edge log's byte bound. */
  maxBytes: number;
  /** Readings committed during the outage (enough to exceed maxBytes several times). */
  outageReadings: number;
  /** 'pglite' (in-process, on disk) or 'postgres'. */
  store: 'pglite' | 'postgres';
  progress?: Progress;
}

/**
 * A small log overflows during an outage: the oldest readings are dropped and counted. After
 * recovery the central must hold everything else, and record as a gap exactly what was dropped.
 */
export async function logFull(o: LogFullOptions): Promise<ScenarioResult> {
  const dir = await tempDir('log-full');
  const pgdb = o.store === 'postgres' ? await freshPostgres() : undefined;
  const edgeId = 'edge-full';
  let central = await inProcessCentral(dir, pgdb?.url);
  const mqttPort = mqttPortOf(central);
  const secret = await upsertEdgeCredential(central.database.db, edgeId);
  const edge = await startInProcessEdge({
    edgeId,
    dir: join(dir, 'edge'),
    mqttUrl: central.mqttUrl,
    secret,
    seed: o.seed,
    maxBytes: o.maxBytes,
  });
  let closed = false;
  try {
    edge.producer.steady(20, 10);
    while (edge.uplink.stats().lastAcked < 1000) await once(edge.uplink, 'ack');
    // A clean cut: nothing in flight when the uplink goes down, so the drop count is exact.
    await edge.producer.stop();
    await edge.drained();
    await central.close();
    closed = true;
    for (let n = 0; n < o.outageReadings; n += 500) await edge.producer.append(500);
    const { dropped } = edge.log.stats();
    central = await inProcessCentral(dir, pgdb?.url, mqttPort);
    closed = false;
    await edge.drained();
    await edge.close();
    await central.ingest.idle();
    const report = reconcile(
      await readEdgeLog(join(dir, 'edge', 'log')),
      await readCentral(central.database, edgeId),
    );
    o.progress?.(`log full: ${dropped} dropped of ${o.outageReadings} during the outage`);
    return { name: `log-full-${o.store}`, report, figures: { droppedDuringOutage: dropped } };
  } finally {
    await edge.close().catch(() => undefined);
    if (!closed) await central.close();
    await pgdb?.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

// ─────────────────────── e. invalid readings in the log, past the edge's check ───────────────────────

export interface PoisonOptions {
  seed: number;
  store: 'pglite' | 'postgres';
  /** Readings committed to the edge's log, poison included. */
  readings: number;
  /** Share of readings replaced by poison (seeded). */
  rate: number;
  /** Central (and embedded broker) restarts while readings stream: redeliveries and go-backs. */
  restarts: number;
  progress?: Progress;
}

/**
 * The edge's log holds invalid readings (poison.ts: a decorated log port, past the edge's own
 * check) among valid ones, while the central restarts mid-stream so batches are redelivered and
 * re-batched across its mark. The central must set each invalid reading aside exactly once,
 * store every other, and keep acknowledging: quarantined = poisoned, nothing lost or duplicated.
 */
export async function poisonReadings(o: PoisonOptions): Promise<ScenarioResult> {
  const progress = o.progress ?? quiet;
  const random = seededRandom(o.seed);
  const dir = await tempDir(`poison-${o.store}`);
  const pgdb = o.store === 'postgres' ? await freshPostgres() : undefined;
  const edgeId = 'edge-poison';
  let central = await inProcessCentral(dir, pgdb?.url);
  const mqttPort = mqttPortOf(central);
  const secret = await upsertEdgeCredential(central.database.db, edgeId);
  let poisoned: PoisoningLog | undefined;
  const edge = await startInProcessEdge({
    edgeId,
    dir: join(dir, 'edge'),
    mqttUrl: central.mqttUrl,
    secret,
    seed: o.seed,
    maxReadings: 500,
    decorateLog: (log) => {
      poisoned = poisoningLog(log, { rate: o.rate, random: seededRandom(o.seed * 7919) });
      return poisoned;
    },
  });
  const ackedBeyond = async (target: number) => {
    while (edge.uplink.stats().lastAcked < target) await once(edge.uplink, 'ack');
  };
  try {
    edge.producer.steady(20, 10);
    // Restarts at acks spread evenly over the run: batches in flight are redelivered, and the
    // edge's go-back re-batches across the mark, poison included.
    for (let r = 1; r <= o.restarts; r++) {
      await ackedBeyond(Math.floor((r * o.readings) / (o.restarts + 1)));
      await delay(Math.floor(random() * 200));
      await central.close();
      central = await inProcessCentral(dir, pgdb?.url, mqttPort);
    }
    await ackedBeyond(o.readings);
    await edge.producer.stop();
    await edge.drained();
    const { goBacks, resends } = edge.uplink.stats();
    await edge.close();
    await central.ingest.idle();
    const report = reconcile(
      await readEdgeLog(join(dir, 'edge', 'log')),
      await readCentral(central.database, edgeId),
    );
    const count = poisoned?.poisoned.length ?? 0;
    progress(`poison (${o.store}): ${count} invalid readings among ${report.totals.committed}`);
    return {
      name: `poison-${o.store}`,
      report,
      figures: { poisoned: count, restarts: o.restarts, goBacks, resends },
    };
  } finally {
    await edge.close().catch(() => undefined);
    await central.close();
    await pgdb?.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
