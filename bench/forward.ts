/**
 * Store-and-forward throughput (issue 4), all in one run:
 *  - raw LevelDB: classic-level chained-batch puts of the encoded readings (the log's key
 *    layout), the baseline for the edge log's group-commit append of the same readings;
 *  - raw database insert: the same rows into a copy of the readings table, one transaction per
 *    uplink batch, by the fastest of three bare-client methods (unnest arrays, jsonb_to_recordset
 *    of a binary jsonb document, COPY), the baseline for the end-to-end figures;
 *  - end to end, sustained: the edge (a child process: log + uplink with the shipped defaults)
 *    appends 500 readings per group commit, paced at the rate the raw insert reached in the
 *    same pass (an offered load at the baseline itself), while forwarding to the central
 *    (embedded aedes, exactly-once ingest); readings/s until reading 100,000 is acknowledged,
 *    the load going on until then;
 *  - burst: 100,000 readings appended back to back (the edge appends as fast as its log takes
 *    them, which takes the edge's CPU from its uplink), until the last is acknowledged;
 *  - backlog drain: 100,000 readings committed while offline, then connected: readings/s, and the
 *    edge process's RSS during the drain.
 * The raw inserts and the end-to-end modes run in 5 alternating passes per database.
 * Run on PGlite and, when reachable, PostgreSQL.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Central,
  copyRows,
  jsonbDocument,
  MeterDirectory,
  startCentral,
  upsertEdgeCredential,
} from '@gridlink/central';
import { PG_ADMIN_URL, postgresReachable, scratchPostgres } from '@gridlink/central/testing';
import { openReadingLog } from '@gridlink/edge';
import { ClassicLevel } from 'classic-level';
import { sql } from 'kysely';
import { pino } from 'pino';
import type { Benchmark, Figure } from './lib/figure.js';
import { round } from './lib/figure.js';
import {
  benchNewReading,
  benchReading,
  type ForwardEdgeJob,
  type ForwardEdgeMessage,
  SHIPPED_UPLINK,
} from './lib/forward-readings.js';

const COUNT = 100_000;
const PER_BATCH = 500;

function seqKey(seq: number): Buffer {
  const key = Buffer.alloc(9);
  key[0] = 0x72;
  key.writeBigUInt64BE(BigInt(seq), 1);
  return key;
}

async function rawLevelDb(dir: string, sync: boolean): Promise<number> {
  const db = new ClassicLevel<Buffer, string>(dir, {
    keyEncoding: 'buffer',
    valueEncoding: 'utf8',
  });
  await db.open();
  const t = performance.now();
  for (let first = 1; first <= COUNT; first += PER_BATCH) {
    // A chained batch: LevelDB's fastest write path from Node (no per-operation objects).
    const batch = db.batch();
    for (let seq = first; seq < first + PER_BATCH; seq++)
      batch.put(seqKey(seq), JSON.stringify(benchReading(seq)));
    await batch.write({ sync });
  }
  const rate = COUNT / ((performance.now() - t) / 1000);
  await db.close();
  return rate;
}

async function logAppend(dir: string, sync: boolean): Promise<number> {
  const log = await openReadingLog({ dir, sync });
  const t = performance.now();
  for (let first = 1; first <= COUNT; first += PER_BATCH) {
    const batch = [];
    for (let seq = first; seq < first + PER_BATCH; seq++) batch.push(benchNewReading(seq));
    await log.append(batch);
  }
  const rate = COUNT / ((performance.now() - t) / 1000);
  await log.close();
  return rate;
}

/**
 * Every measured phase, baseline or end to end, starts from a checkpoint: the dirty pages of the
 * phases before it are written out first, outside the timing, instead of by a checkpoint that
 * PostgreSQL requests (max_wal_size) in the middle of whichever phase happens to fill the WAL.
 * Each phase then also pays the same full-page writes after a checkpoint.
 */
async function checkpoint(central: Central): Promise<void> {
  await sql`CHECKPOINT`.execute(central.database.db);
}

/** The ways a bare client loop hands the database a batch of rows; the fastest is the baseline. */
const RAW_METHODS = ['unnest', 'jsonb', 'copy'] as const;
type RawMethod = (typeof RAW_METHODS)[number];

/**
 * The raw insert: the same rows, from objects in memory, straight into a copy of `readings`,
 * one transaction per uplink batch (the edge's shipped batch size), by one of three methods:
 * `INSERT … SELECT FROM unnest(column arrays)`, `jsonb_to_recordset(the rows as one binary jsonb
 * document)`, or COPY of text rows (PostgreSQL's own bulk path; PGlite reads it from /dev/blob).
 */
async function rawInsertMs(central: Central, method: RawMethod): Promise<number> {
  const db = central.database.db;
  await upsertEdgeCredential(db, 'bench-raw');
  const ids = await new MeterDirectory(db).resolve(
    'bench-raw',
    Array.from({ length: 20 }, (_, i) => `meter-${i + 1}`),
  );
  await sql`CREATE TABLE readings_raw (LIKE readings INCLUDING ALL)`.execute(db);
  const perBatch = SHIPPED_UPLINK.maxReadings;
  await checkpoint(central);
  const t = performance.now();
  for (let first = 1; first <= COUNT; first += perBatch) {
    const rs = Array.from({ length: perBatch }, (_, i) => benchReading(first + i));
    if (method === 'copy') {
      // The rows as the ingest writes them (copy-rows.ts): its formatting is the fastest we have.
      const text = copyRows(1, rs, (deviceId) => ids.get(deviceId)) as Buffer;
      await central.database.copyTransaction((session) =>
        session.copyIn('readings_raw (stream_id, seq, meter_id, ts, quality, values)', text),
      );
      continue;
    }
    await db.transaction().execute(async (trx) => {
      if (method === 'unnest') {
        await sql`
          INSERT INTO readings_raw (stream_id, seq, meter_id, ts, quality, values)
          SELECT 1, u.seq, u.meter_id, to_timestamp(u.ts), u.quality, u.values::jsonb
          FROM unnest(${rs.map((r) => r.seq)}::bigint[], ${rs.map((r) => ids.get(r.deviceId) as number)}::int[],
                      ${rs.map((r) => r.ts / 1000)}::float8[], ${rs.map((r) => r.quality)}::text[],
                      ${rs.map((r) => JSON.stringify(r.values))}::text[]) AS u(seq, meter_id, ts, quality, values)`.execute(
          trx,
        );
      } else {
        const rows = rs.map((r) => ({
          seq: r.seq,
          meter_id: ids.get(r.deviceId),
          ts: r.ts,
          quality: r.quality,
          values: r.values,
        }));
        await sql`
          INSERT INTO readings_raw (stream_id, seq, meter_id, ts, quality, values)
          SELECT 1, x.seq, x.meter_id, to_timestamp(x.ts / 1000.0), x.quality, x.values
          FROM jsonb_to_recordset(${jsonbDocument(JSON.stringify(rows))}::jsonb)
            AS x(seq bigint, meter_id int, ts bigint, quality text, values jsonb)`.execute(trx);
      }
    });
  }
  const ms = performance.now() - t;
  await sql`DROP TABLE readings_raw`.execute(db);
  return ms;
}

function edgeChild(job: ForwardEdgeJob): {
  child: ChildProcess;
  next: () => Promise<ForwardEdgeMessage>;
} {
  const child = fork(
    fileURLToPath(new URL('./lib/forward-edge.ts', import.meta.url)),
    [JSON.stringify(job)],
    {
      // The edge as it runs installed: compiled packages (the parent runs with this condition too).
      execArgv: ['--conditions=gridlink-build', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`edge child exited (${code}) early`);
  });
  exited.catch(() => undefined);
  return {
    child,
    next: () =>
      Promise.race([once(child, 'message').then(([m]) => m as ForwardEdgeMessage), exited]),
  };
}

/** One end-to-end pass of COUNT readings through a fresh edge child; checks every row arrived. */
async function endToEnd(
  central: Central,
  dir: string,
  label: string,
  log: (l: string) => void,
  mode: ForwardEdgeJob['mode'],
  pass: number,
  extra: { maxReadings?: number; offeredPerS?: number } = {},
) {
  const { maxReadings, offeredPerS } = extra;
  const edgeId = `bench-${mode}${maxReadings ? `-${maxReadings}` : ''}-${pass}`;
  const secret = await upsertEdgeCredential(central.database.db, edgeId);
  await checkpoint(central);
  const { child, next } = edgeChild({
    mode,
    dir: join(dir, edgeId),
    edgeId,
    mqttUrl: central.mqttUrl,
    secret,
    count: COUNT,
    perAppend: PER_BATCH,
    ...(maxReadings ? { maxReadings } : {}),
    ...(offeredPerS ? { offeredPerS } : {}),
  });
  let built: ForwardEdgeMessage | undefined;
  if (mode === 'backlog') {
    built = await next();
    child.send({ type: 'go' });
  }
  // The central's CPU (all its threads, PGlite included) over the same span as the edge's.
  const cpu0 = process.cpuUsage();
  const done = await next();
  const cpu = process.cpuUsage(cpu0);
  const centralCpuMs = Math.round((cpu.user + cpu.system) / 1000);
  await once(child, 'exit');
  if (done.type !== 'done') throw new Error('edge child: unexpected message');
  await central.ingest.idle();
  // Readings 1..COUNT, each once (a sustained edge may have sent more behind them).
  const stored = await sql<{ n: string }>`
    SELECT count(*)::text AS n FROM readings r JOIN ingest_streams s ON s.id = r.stream_id
    WHERE s.edge_id = ${edgeId} AND r.seq <= ${COUNT}`.execute(central.database.db);
  if (Number(stored.rows[0]?.n) !== COUNT)
    throw new Error(`${label} ${mode}: ${stored.rows[0]?.n} rows stored, expected ${COUNT}`);
  const offered = offeredPerS
    ? ` (offered ${round(offeredPerS)}/s; reading ${COUNT} appended at ${round(done.appendedMs)} ms, acknowledged at ${round(done.ms)} ms${done.steady ? `; steady ${round(done.steady.readings / (done.steady.ms / 1000))}/s` : ''})`
    : '';
  log(
    `${label} pass ${pass} ${mode}${maxReadings ? ` (batches of ${maxReadings})` : ''}${offered}: ${round(COUNT / (done.ms / 1000))} readings/s end to end, edge CPU ${done.cpuMs} ms, central CPU ${centralCpuMs} ms, edge RSS peak ${done.rssPeakMB} MB mean ${done.rssMeanMB} MB${built?.type === 'built' ? ` (${built.rssMB} MB after building the backlog)` : ''}`,
  );
  return done;
}

/**
 * Passes of the raw inserts and the end-to-end modes alternate, so drift in the machine's speed
 * (a shared VM's neighbours) hits baseline and measurement alike; each rate is the total over
 * its passes. Five, not three: the sustained pass runs at the raw rate itself, so a pause early
 * in a pass leaves a backlog that lasts to its end, and single passes spread widely (0.62-0.92 of
 * the raw COPY on PGlite in one run); each pass is logged.
 */
const PASSES = 5;

async function measureStore(
  label: 'pglite' | 'postgres',
  databaseUrl: string | undefined,
  log: (l: string) => void,
): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), `gl-bench-forward-${label}-`));
  const central = await startCentral(
    {
      dataDir: join(dir, 'central'),
      ...(databaseUrl ? { databaseUrl } : {}),
      http: { port: 0 },
      mqtt: { mode: 'embedded', port: 0 },
    },
    // No cron jobs: a rollup firing mid-pass would load the database for one side only.
    { logger: pino({ level: 'silent' }), scheduler: false },
  );
  try {
    const ms = { sustained: 0, burst: 0, backlog: 0, backlog2000: 0 };
    const steady = { readings: 0, ms: 0 };
    const raw: Record<RawMethod, number> = { unnest: 0, jsonb: 0, copy: 0 };
    const drains: Array<{ rssPeakMB: number; rssMeanMB: number }> = [];
    for (let pass = 1; pass <= PASSES; pass++) {
      const pass_: Record<RawMethod, number> = { unnest: 0, jsonb: 0, copy: 0 };
      for (const method of RAW_METHODS) {
        pass_[method] = await rawInsertMs(central, method);
        raw[method] += pass_[method];
      }
      log(
        `${label} pass ${pass}: raw insert ${RAW_METHODS.map((m) => `${round(COUNT / (pass_[m] / 1000))} rows/s (${m})`).join(', ')}`,
      );
      // Offered as fast as the raw insert of this pass went: more than the target asks.
      const offeredPerS = COUNT / (Math.min(...Object.values(pass_)) / 1000);
      const sustained = await endToEnd(central, dir, label, log, 'sustained', pass, {
        offeredPerS,
      });
      const burst = await endToEnd(central, dir, label, log, 'burst', pass);
      const backlog = await endToEnd(central, dir, label, log, 'backlog', pass);
      // The same drain with 2,000-reading batches (the earlier default): what the batch size buys.
      const small = await endToEnd(central, dir, label, log, 'backlog', pass, {
        maxReadings: 2000,
      });
      ms.sustained += sustained.ms;
      if (sustained.type === 'done' && sustained.steady) {
        steady.readings += sustained.steady.readings;
        steady.ms += sustained.steady.ms;
      }
      ms.burst += burst.ms;
      ms.backlog += backlog.ms;
      ms.backlog2000 += small.ms;
      drains.push(backlog);
    }
    const rate = (total: number) => round((PASSES * COUNT) / (total / 1000));
    const best = Math.max(...RAW_METHODS.map((m) => rate(raw[m])));
    return [
      ...RAW_METHODS.map((m) => ({
        metric: `${label}_raw_insert_${m}_rows_per_s`,
        value: rate(raw[m]),
        unit: 'rows/s',
      })),
      { metric: `${label}_raw_insert_rows_per_s`, value: best, unit: 'rows/s' },
      {
        metric: `${label}_end_to_end_sustained_readings_per_s`,
        value: rate(ms.sustained),
        unit: 'readings/s',
        baseline: best,
      },
      {
        metric: `${label}_end_to_end_sustained_steady_readings_per_s`,
        value: round(steady.readings / (steady.ms / 1000)),
        unit: 'readings/s',
        baseline: best,
      },
      {
        metric: `${label}_end_to_end_burst_readings_per_s`,
        value: rate(ms.burst),
        unit: 'readings/s',
        baseline: best,
      },
      {
        metric: `${label}_backlog_drain_readings_per_s`,
        value: rate(ms.backlog),
        unit: 'readings/s',
        baseline: best,
      },
      {
        metric: `${label}_backlog_drain_batch2000_readings_per_s`,
        value: rate(ms.backlog2000),
        unit: 'readings/s',
        baseline: best,
      },
      {
        metric: `${label}_edge_rss_during_drain_peak_mb`,
        value: Math.max(...drains.map((d) => d.rssPeakMB)),
        unit: 'MB',
      },
      {
        metric: `${label}_edge_rss_during_drain_mean_mb`,
        value: round(drains.reduce((a, d) => a + d.rssMeanMB, 0) / drains.length),
        unit: 'MB',
      },
    ];
  } finally {
    await central.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const bench: Benchmark = async ({ log }) => {
  const figures: Figure[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'gl-bench-leveldb-'));
  try {
    for (const sync of [false, true]) {
      const raw = await rawLevelDb(join(dir, `raw-${sync}`), sync);
      const append = await logAppend(join(dir, `log-${sync}`), sync);
      log(
        `sync ${sync}: raw LevelDB ${round(raw)} readings/s, edge log append ${round(append)} readings/s`,
      );
      const s = sync ? 'sync' : 'nosync';
      figures.push(
        {
          metric: `leveldb_raw_batch_write_${s}_readings_per_s`,
          value: round(raw),
          unit: 'readings/s',
        },
        {
          metric: `edge_log_append_${s}_readings_per_s`,
          value: round(append),
          unit: 'readings/s',
          baseline: round(raw),
        },
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  figures.push(...(await measureStore('pglite', undefined, log)));
  if (!(await postgresReachable())) {
    log(`PostgreSQL not reachable at ${PG_ADMIN_URL}: PostgreSQL figures skipped`);
    return figures;
  }
  const scratch = await scratchPostgres('gl_bench_fwd');
  try {
    figures.push(...(await measureStore('postgres', scratch.url, log)));
  } finally {
    await scratch.drop();
  }
  return figures;
};

export default bench;
