import { sql } from 'kysely';
import type { Exit } from '../../soak/harness.js';
import { startCentralProcess } from '../central-process.js';
import { runScript } from '../mqtt-connection.js';
import { type MqttIdentities, mqttScript, scriptPackets } from '../mqtt-packets.js';
import { caseRng } from '../rng.js';
import { bump, Failures, type Tally } from '../tally.js';
import { checkWellBehavedStored, startWellBehavedEdge } from './well-behaved-edge.js';

export interface MqttFuzzOptions {
  seed: number;
  /** Stop starting connections once this many packets were written. */
  packets: number;
  /** Replay this one case (one connection's script) and nothing else. */
  only?: number;
  /** Connections open at once (default 8). */
  concurrency?: number;
  /** The central's config (default FUZZ_CENTRAL_CONFIG). */
  centralConfig?: Record<string, unknown>;
  progress?: (line: string) => void;
}

export interface MqttFuzzReport {
  seed: number;
  /** Connections (cases) run. */
  cases: number;
  packets: { written: number; confirmed: number; bytes: number };
  profiles: Tally;
  /** Packets written by type, and damaged packets by mutation class. */
  types: Tally;
  mutations: Tally;
  /** The broker's verdicts as the fuzzer saw them: CONNACK codes, answers by type, who closed. */
  connack: Tally;
  answers: Tally;
  closedBy: Tally;
  /** Bytes from the broker that did not parse as MQTT 3.1.1. */
  unparsable: number;
  /** The central's log lines by catalog code (the broker's and the ingest's verdicts). */
  logCodes: Tally;
  wellBehaved: { committed: number; disconnects: number };
  memory: { rssBefore?: number; rssAfter?: number };
  /** Readings stored per edge at the end. */
  storedByEdge: Tally;
  exit?: Exit;
  failures: Failures;
}

/**
 * The fuzzer opens thousands of connections from one address. The broker's per-address
 * connection rate (a limit with tests of its own) would refuse nearly all of them, and the bytes
 * behind them would never reach the parser: it is raised for this run.
 */
export const FUZZ_CENTRAL_CONFIG = {
  mqtt: { limits: { connectRate: { burst: 1_000_000, perSecond: 1_000_000 } } },
};

const FUZZ_EDGE = 'fz-1';
const GOOD_EDGE = 'good-1';

/**
 * Target 1: MQTT packets against the central's embedded aedes broker, over raw TCP. Valid
 * packets of every type, then damaged (mqtt-packets.ts, byte-mutations.ts), pipelined many to a
 * connection, `concurrency` connections at a time, each closed one replaced by the next case.
 * Throughout, a well-behaved edge publishes telemetry and must get every ack and never lose its
 * session. At the end: the central process is alive and answers, its memory is reported, it
 * stops cleanly, and the database holds exactly the well-behaved edge's readings.
 */
export async function fuzzMqttBroker(o: MqttFuzzOptions): Promise<MqttFuzzReport> {
  const progress = o.progress ?? (() => undefined);
  const failures = new Failures('--target mqtt', o.seed);
  const report: MqttFuzzReport = {
    seed: o.seed,
    cases: 0,
    packets: { written: 0, confirmed: 0, bytes: 0 },
    profiles: {},
    types: {},
    mutations: {},
    connack: {},
    answers: {},
    closedBy: {},
    unparsable: 0,
    logCodes: {},
    wellBehaved: { committed: 0, disconnects: 0 },
    memory: {},
    storedByEdge: {},
    failures,
  };
  const central = await startCentralProcess({ config: o.centralConfig ?? FUZZ_CENTRAL_CONFIG });
  let good: Awaited<ReturnType<typeof startWellBehavedEdge>> | undefined;
  try {
    const ids: MqttIdentities = {
      fuzzEdge: { edgeId: FUZZ_EDGE, secret: await central.provisionEdge(FUZZ_EDGE) },
      victimEdgeId: GOOD_EDGE,
    };
    good = await startWellBehavedEdge({
      edgeId: GOOD_EDGE,
      mqttUrl: central.ready.mqttUrl,
      secret: await central.provisionEdge(GOOD_EDGE),
      seed: o.seed,
    });
    report.memory.rssBefore = await central.rssBytes();
    const { hostname, port } = new URL(central.ready.mqttUrl);

    // Which cases were running when the well-behaved edge lost its connection; a CONNECT that
    // names its client id is the likely one.
    const running = new Map<number, Buffer>();
    const victimId = Buffer.from(`edge-${GOOD_EDGE}`);
    const wellBehaved = good;
    const lost = () => {
      const suspects = [...running].filter(([, connect]) => connect.includes(victimId));
      const cases = suspects.length > 0 ? suspects : [...running];
      failures.add(
        `the well-behaved edge's MQTT connection closed while case${cases.length > 1 ? 's' : ''} ${cases.map(([i]) => i).join(', ')} ran${suspects.length > 0 ? ` (its CONNECT names the client id edge-${GOOD_EDGE})` : ''}`,
        cases.length === 1 ? cases[0]?.[0] : undefined,
      );
    };
    wellBehaved.edge.client.on('close', lost);

    let next = 0;
    let brokerDown = false;
    let reported = 0;
    const worker = async () => {
      while (!brokerDown && report.packets.written < o.packets) {
        const index = o.only ?? next++;
        const script = mqttScript(caseRng(o.seed, index), ids);
        bump(report.profiles, script.profile);
        for (const p of scriptPackets(script)) {
          bump(report.types, p.label);
          if (p.mutation) bump(report.mutations, p.mutation);
        }
        running.set(index, script.connect?.bytes ?? Buffer.alloc(0));
        try {
          const out = await runScript(hostname, Number(port), script);
          report.cases++;
          report.packets.written += out.written;
          report.packets.confirmed += out.confirmed;
          report.packets.bytes += out.bytes;
          report.unparsable += out.unparsable;
          if (out.connack !== undefined) bump(report.connack, String(out.connack));
          for (const [k, n] of Object.entries(out.answers)) bump(report.answers, k, n);
          bump(report.closedBy, `${script.profile}:${out.closedBy}`);
        } catch (err) {
          brokerDown = true;
          failures.add((err as Error).message, index);
        } finally {
          running.delete(index);
        }
        if (report.packets.written - reported >= 100_000) {
          reported = report.packets.written;
          progress(
            `mqtt: ${report.packets.written} packets written (${report.packets.confirmed} confirmed) in ${report.cases} connections`,
          );
        }
        if (o.only !== undefined) return;
      }
    };
    await Promise.all(
      Array.from({ length: o.only === undefined ? (o.concurrency ?? 8) : 1 }, worker),
    );

    // The broker's process is alive, answers HTTP, and still serves the well-behaved edge.
    if (!central.alive()) failures.add('the central process died');
    else {
      const health = await fetch(`${central.ready.httpUrl}/healthz`).catch((e: Error) => e);
      if (health instanceof Error || health.status !== 200)
        failures.add(
          `/healthz after the attack: ${health instanceof Error ? health.message : health.status}`,
        );
    }
    report.memory.rssAfter = await central.rssBytes();
    wellBehaved.edge.client.off('close', lost);
    const disconnects = wellBehaved.disconnects();
    const { committed } = await wellBehaved.finish();
    report.wellBehaved = { committed, disconnects };
    report.exit = await central.stop();
    if (report.exit.code !== 0)
      failures.add(`the central did not stop cleanly: ${JSON.stringify(report.exit)}`);

    // Exactly the well-behaved edge's readings, and nothing of the fuzzer's.
    const rows = await sql<{ edge_id: string; n: string }>`
      SELECT s.edge_id, count(*)::text AS n FROM readings r
      JOIN ingest_streams s ON s.id = r.stream_id GROUP BY s.edge_id`.execute(central.database.db);
    for (const r of rows.rows) report.storedByEdge[r.edge_id] = Number(r.n);
    for (const [edgeId, n] of Object.entries(report.storedByEdge))
      if (edgeId !== GOOD_EDGE) failures.add(`${n} readings stored for ${edgeId}`);
    for (const p of await checkWellBehavedStored(central.database, GOOD_EDGE, committed))
      failures.add(p);

    const log = await central.logCodes();
    report.logCodes = log.codes;
    for (const line of log.errors) failures.add(`central logged an error: ${line}`);
    if (log.errorCount > log.errors.length)
      failures.add(`central logged ${log.errorCount - log.errors.length} more error lines`);
    return report;
  } finally {
    await good?.cleanup();
    await central.cleanup();
  }
}
