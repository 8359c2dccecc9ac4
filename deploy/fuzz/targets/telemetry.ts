import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type Central, startCentral, upsertEdgeCredential } from '@gridlink/central';
import {
  checkReading,
  DEFAULT_CENTRAL_WINDOW,
  edgeTopic,
  errorCodes,
  isGzipPayload,
} from '@gridlink/shared';
import { sql } from 'kysely';
import mqtt from 'mqtt';
import { canonicalValues } from '../../reconcile/index.js';
import { freshPostgres } from '../../soak/harness.js';
import { deadline } from '../deadline.js';
import { LogCapture, type LogLine } from '../log-capture.js';
import { caseRng } from '../rng.js';
import { bump, Failures, type Tally } from '../tally.js';
import { telemetryCase } from '../telemetry-cases.js';
import { checkWellBehavedStored, startWellBehavedEdge } from './well-behaved-edge.js';

export interface TelemetryFuzzOptions {
  seed: number;
  cases: number;
  /** Replay this one case. */
  only?: number;
  store: 'pglite' | 'postgres';
  /** Fuzzing edges publishing at once (default 4). */
  concurrency?: number;
  progress?: (line: string) => void;
}

export interface TelemetryFuzzReport {
  seed: number;
  store: 'pglite' | 'postgres';
  cases: number;
  /** Cases by class, JSON mutations applied, and verdicts (`class:acked`, `class:GL_…`). */
  classes: Tally;
  mutations: Tally;
  verdicts: Tally;
  /** The central's log lines by code. */
  logCodes: Tally;
  /** Readings stored for the fuzzing edges (each one checked by the oracle). */
  storedFuzz: number;
  wellBehaved: { committed: number; disconnects: number };
  failures: Failures;
}

/** The fuzzing edges are `fz-t0`, `fz-t1`, … */
const FUZZ_EDGE = 'fz-t';
const GOOD_EDGE = 'good-t';
const EPOCH = 'fuzz-epoch-0001';
/** Codes that come with an ack: the batch was taken (stored, partly set aside, or a repeat). */
const ACKED_CODES = new Set(['GL_BATCH_GAP', 'GL_BATCH_DUPLICATE', 'GL_READING_QUARANTINED']);
/** A refusal must be bounded in time to be a refusal at all; generous, it is not a benchmark. */
const ACK_DEADLINE_MS = 30_000;

/**
 * Target 2: authenticated edges publish mutated versions of valid telemetry batches on their
 * own topics, each one batch at a time, to a central in this process (its log captured line by
 * line). Each batch must get an ack or a logged refusal with a catalog code (never GL_INTERNAL);
 * every reading stored for a fuzzing edge must pass the schema and the central's window and be
 * exactly what JSON.parse reads from the payload that carried it, and nothing may be stored for
 * any other edge; a well-behaved edge keeps delivering throughout, and all its readings arrive.
 */
export async function fuzzTelemetry(o: TelemetryFuzzOptions): Promise<TelemetryFuzzReport> {
  const progress = o.progress ?? (() => undefined);
  const failures = new Failures(`--target telemetry --store ${o.store}`, o.seed);
  const report: TelemetryFuzzReport = {
    seed: o.seed,
    store: o.store,
    cases: 0,
    classes: {},
    mutations: {},
    verdicts: {},
    logCodes: {},
    storedFuzz: 0,
    wellBehaved: { committed: 0, disconnects: 0 },
    failures,
  };
  const dir = await mkdtemp(join(tmpdir(), 'gl-fuzz-telemetry-'));
  const pgdb = o.store === 'postgres' ? await freshPostgres() : undefined;
  const capture = new LogCapture();
  let central: Central | undefined;
  let good: Awaited<ReturnType<typeof startWellBehavedEdge>> | undefined;
  const clients: mqtt.MqttClient[] = [];
  try {
    central = await startCentral(
      {
        dataDir: join(dir, 'central'),
        ...(pgdb ? { databaseUrl: pgdb.url } : {}),
        http: { port: 0 },
        mqtt: { mode: 'embedded', port: 0 },
      },
      { logger: capture.logger, scheduler: false },
    );
    const db = central.database.db;
    good = await startWellBehavedEdge({
      edgeId: GOOD_EDGE,
      mqttUrl: central.mqttUrl,
      secret: await upsertEdgeCredential(db, GOOD_EDGE),
      seed: o.seed,
    });
    // Several fuzzing edges, each publishing its cases one at a time: a batch's verdict is its
    // edge's next ack or next logged refusal. (Round trips, not CPU, bound one edge's pace.)
    const workers = o.only === undefined ? (o.concurrency ?? 4) : 1;
    const edgeIds = Array.from({ length: workers }, (_, w) => `${FUZZ_EDGE}${w}`);
    for (const edgeId of edgeIds) {
      const c = await mqtt.connectAsync(central.mqttUrl, {
        username: edgeId,
        password: await upsertEdgeCredential(db, edgeId),
        clientId: `edge-${edgeId}`,
        reconnectPeriod: 0,
      });
      clients.push(c);
      await c.subscribeAsync(edgeTopic(edgeId, 'ack'), { qos: 1 });
    }
    /** Readings as JSON.parse reads them from every payload the central acknowledged. */
    const sent = new Map<string, string[]>();
    const indices = o.only === undefined ? Array.from({ length: o.cases }, (_, i) => i) : [o.only];
    const worker = async (w: number) => {
      const edgeId = edgeIds[w] as string;
      const client = clients[w] as mqtt.MqttClient;
      for (let k = w; k < indices.length; k += workers) {
        const index = indices[k] as number;
        const c = telemetryCase(caseRng(o.seed, index), {
          edgeId,
          epoch: EPOCH,
          index,
          nowMs: Date.now(),
        });
        report.cases++;
        bump(report.classes, c.kind);
        for (const m of c.mutations) bump(report.mutations, m);
        const outcome = new Promise<LogLine | 'acked'>((resolve) => {
          const stop = capture.onLine((line) => {
            if (line.edgeId === edgeId && line.code && !ACKED_CODES.has(line.code)) {
              stop();
              client.off('message', acked);
              resolve(line);
            }
          });
          const acked = () => {
            stop();
            resolve('acked');
          };
          client.once('message', acked);
        });
        await client.publishAsync(edgeTopic(edgeId, 'telemetry'), c.payload, { qos: 1 });
        const verdict = await deadline(
          outcome,
          ACK_DEADLINE_MS,
          `a ${c.kind} batch got neither an ack nor a logged refusal`,
        ).then(
          (line) => {
            if (line === 'acked') {
              remember(sent, edgeId, c.payload);
              return 'acked';
            }
            const code = line.code as string;
            if (code === 'GL_INTERNAL' || !errorCodes.includes(code as never))
              failures.add(
                `a ${c.kind} batch was refused with ${code}: ${line.reason ?? line.msg}`,
                index,
              );
            return code;
          },
          (err: Error) => {
            failures.add(err.message, index);
            return 'unanswered';
          },
        );
        bump(report.verdicts, `${c.kind}:${verdict}`);
        if (report.cases % 500 === 0) progress(`telemetry (${o.store}): ${report.cases} batches`);
        if (!client.connected) {
          failures.add(`the central closed ${edgeId}'s connection`, index);
          return;
        }
      }
    };
    await Promise.all(edgeIds.map((_, w) => worker(w)));

    // Nothing stored that fails the schema or the window, nor anything the payloads did not say.
    const stored = await sql<{
      edge_id: string;
      epoch: string;
      seq: string;
      device_id: string;
      ts_ms: number;
      quality: string;
      values: Record<string, number> | string;
    }>`
      SELECT s.edge_id, s.epoch, r.seq::text AS seq, m.device_id, r.quality, r.values,
             round(extract(epoch FROM r.ts) * 1000)::float8 AS ts_ms
      FROM readings r
      JOIN ingest_streams s ON s.id = r.stream_id
      JOIN meters m ON m.id = r.meter_id
      WHERE s.edge_id <> ${GOOD_EDGE}`.execute(db);
    report.storedFuzz = stored.rows.length;
    const now = Date.now();
    for (const row of stored.rows) {
      const r = { epoch: `${row.edge_id}/${row.epoch}`, seq: Number(row.seq) };
      if (!edgeIds.includes(row.edge_id))
        failures.add(`a reading was stored for ${row.edge_id}, which never published`);
      const body = {
        deviceId: row.device_id,
        ts: Number(row.ts_ms),
        quality: row.quality,
        values: typeof row.values === 'string' ? JSON.parse(row.values) : row.values,
      };
      const verdict = checkReading(body, DEFAULT_CENTRAL_WINDOW, now);
      if (!verdict.ok)
        failures.add(
          `stored reading ${r.epoch}/${r.seq} fails ${verdict.reason}: ${verdict.message}`,
          caseOf(r.seq),
        );
      const candidates = sent.get(`${r.epoch}/${r.seq}`) ?? [];
      if (!candidates.includes(readingKey(body)))
        failures.add(
          `stored reading ${r.epoch}/${r.seq} ${readingKey(body)} is none of what was sent (${candidates.join(' | ') || 'nothing'})`,
          caseOf(r.seq),
        );
    }

    const health = await fetch(`${central.http.url}/healthz`);
    if (health.status !== 200) failures.add(`/healthz answered ${health.status} after the attack`);
    const disconnects = good.disconnects();
    const { committed } = await good.finish();
    report.wellBehaved = { committed, disconnects };
    if (disconnects > 0)
      failures.add(`the well-behaved edge was disconnected ${disconnects} times`);
    await central.ingest.idle();
    for (const p of await checkWellBehavedStored(central.database, GOOD_EDGE, committed))
      failures.add(p);
    report.logCodes = { ...capture.codes };
    for (const line of capture.errors)
      failures.add(`central logged an error: ${line.code}: ${line.msg} ${line.err?.message ?? ''}`);
    return report;
  } finally {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    await good?.cleanup();
    await central?.close();
    await pgdb?.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The case whose batch carried `seq` (validBatch: index × 20 + 1 …). */
const caseOf = (seq: number) => Math.floor((seq - 1) / 20);

interface SentReading {
  deviceId?: unknown;
  ts?: unknown;
  quality?: unknown;
  values?: unknown;
  seq?: unknown;
}

/** The fields a stored row keeps, comparable; a reading too deep to serialize has none. */
function readingKey(r: SentReading): string {
  try {
    const values =
      r.values && typeof r.values === 'object'
        ? canonicalValues(r.values as Record<string, number>)
        : '';
    return JSON.stringify([r.deviceId, r.ts, r.quality, values]);
  } catch {
    return 'unserializable';
  }
}

/** Records the readings of an acknowledged payload as JSON.parse reads them, by edge/epoch/seq. */
function remember(sent: Map<string, string[]>, edgeId: string, payload: Buffer): void {
  let batch: { epoch?: unknown; readings?: unknown };
  try {
    const json = isGzipPayload(payload) ? gunzipSync(payload) : payload;
    batch = JSON.parse(json.toString('utf8'));
  } catch {
    return;
  }
  if (!Array.isArray(batch?.readings)) return;
  if (typeof batch.epoch !== 'string') return;
  for (const r of batch.readings as SentReading[]) {
    // Only a reading with a numeric seq can have been stored under it.
    if (!r || typeof r !== 'object' || typeof r.seq !== 'number') continue;
    const key = `${edgeId}/${batch.epoch}/${r.seq}`;
    const list = sent.get(key) ?? [];
    list.push(readingKey(r));
    sent.set(key, list);
  }
}
