/**
 * The central's exactly-once ingest of JSON rows, on one thread (decode as its worker does:
 * parse, validate, re-encode → resolve meters → lock mark, insert, advance mark, one transaction
 * per batch) against the raw engine: the same rows inserted with the same statement shape
 * (INSERT … SELECT FROM jsonb_to_recordset(…)), one transaction per batch, no validation and no
 * mark. JSON rows are what a stream's first batch takes; once the decode worker knows a stream's
 * ids its batches go by COPY, which `npm run bench -- forward` measures end to end.
 * Run on PGlite and, when reachable, on PostgreSQL.
 */
import {
  type Database,
  decodeTelemetry,
  MeterDirectory,
  openDatabase,
  storeBatch,
  upsertEdgeCredential,
} from '@gridlink/central';
import { PG_ADMIN_URL, postgresReachable, scratchPostgres } from '@gridlink/central/testing';
import type { TelemetryBatch } from '@gridlink/shared';
import { sql } from 'kysely';
import type { Benchmark, Figure } from './lib/figure.js';
import { round } from './lib/figure.js';

const BATCHES = 200;
const PER_BATCH = 500;
const DEVICES = 20;

function payloads(): string[] {
  const out: string[] = [];
  let seq = 1;
  for (let b = 0; b < BATCHES; b++) {
    const readings = Array.from({ length: PER_BATCH }, (_, i) => ({
      seq: seq + i,
      deviceId: `m${(seq + i) % DEVICES}`,
      ts: 1_767_225_600_000 + (seq + i) * 1000,
      quality: 'good' as const,
      values: {
        voltage_l1: 220.1,
        voltage_l2: 219.8,
        voltage_l3: 221.3,
        current_l1: 5.2,
        power_total: 3400.5,
        frequency: 60.01,
        energy_import: (seq + i) * 0.01,
      },
    }));
    const batch: TelemetryBatch = {
      edgeId: 'bench',
      epoch: 'bench-epoch',
      firstSeq: seq,
      lastSeq: seq + PER_BATCH - 1,
      dropped: 0,
      droppedUpTo: 0,
      readings,
    };
    out.push(JSON.stringify(batch));
    seq += PER_BATCH;
  }
  return out;
}

async function measure(
  database: Database,
  label: string,
  log: (l: string) => void,
): Promise<Figure[]> {
  const db = database.db;
  await upsertEdgeCredential(db, 'bench');
  const meters = new MeterDirectory(db);
  const ids = await meters.resolve(
    'bench',
    Array.from({ length: DEVICES }, (_, i) => `m${i}`),
  );
  const bodies = payloads();
  const total = BATCHES * PER_BATCH;

  // Baseline: the raw engine, same rows, same statement shape, a table with the same indexes.
  await sql`CREATE TABLE readings_raw (LIKE readings INCLUDING ALL)`.execute(db);
  const rows = bodies.map((b) =>
    JSON.stringify(
      (JSON.parse(b) as TelemetryBatch).readings.map((r) => ({
        seq: r.seq,
        meter_id: ids.get(r.deviceId),
        ts: r.ts,
        quality: r.quality,
        values: r.values,
      })),
    ),
  );
  const t = performance.now();
  for (const doc of rows) {
    await db.transaction().execute(async (trx) => {
      await sql`
        INSERT INTO readings_raw (stream_id, seq, meter_id, ts, quality, values)
        SELECT 1, x.seq, x.meter_id, to_timestamp(x.ts / 1000.0), x.quality, x.values
        FROM jsonb_to_recordset(${doc}::jsonb)
          AS x(seq bigint, meter_id int, ts bigint, quality text, values jsonb)`.execute(trx);
    });
  }
  const rawRate = total / ((performance.now() - t) / 1000);

  /** The central's path for one payload, as TelemetryIngest runs it. Returns readings/s. */
  const ingestAll = async (list: string[]) => {
    const start = performance.now();
    for (const body of list) {
      const batch = decodeTelemetry('bench', Buffer.from(body), 8 * 1024 * 1024);
      const ids = await meters.resolve(batch.edgeId, batch.deviceIds);
      await storeBatch(db, batch, ids);
    }
    return (list.length * PER_BATCH) / ((performance.now() - start) / 1000);
  };
  const ingestRate = await ingestAll(bodies);
  // Replays: the duplicate path must be cheap (it is what a reconnecting edge costs).
  const dupRate = await ingestAll(bodies.slice(0, 50));
  log(
    `${label}: raw ${round(rawRate)} rows/s, exactly-once ingest ${round(ingestRate)} readings/s, duplicates ${round(dupRate)} readings/s`,
  );
  return [
    {
      metric: `${label}_ingest_readings_per_s`,
      value: round(ingestRate),
      unit: 'readings/s',
      baseline: round(rawRate),
    },
    {
      metric: `${label}_duplicate_readings_per_s`,
      value: round(dupRate),
      unit: 'readings/s',
      baseline: round(rawRate),
    },
  ];
}

const bench: Benchmark = async ({ log }) => {
  const figures: Figure[] = [];
  const lite = await openDatabase({ kind: 'pglite' });
  figures.push(...(await measure(lite, 'pglite', log)));
  await lite.close();

  if (!(await postgresReachable())) {
    log(`PostgreSQL not reachable at ${PG_ADMIN_URL}: PostgreSQL figures skipped`);
    return figures;
  }
  const scratch = await scratchPostgres('gl_bench');
  const pgdb = await openDatabase({ kind: 'postgres', url: scratch.url });
  try {
    figures.push(...(await measure(pgdb, 'postgres', log)));
  } finally {
    await pgdb.close();
    await scratch.drop();
  }
  return figures;
};

export default bench;
