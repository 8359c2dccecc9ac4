/**
 * The central's exactly-once ingest (validate JSON → resolve meters → lock mark, insert, advance
 * mark, one transaction per batch) against the raw engine: the same rows inserted with the same
 * INSERT … SELECT unnest(...) statement, one transaction per batch, no validation and no mark.
 * Run on PGlite and, when reachable, on PostgreSQL.
 */
import {
  type Database,
  MeterDirectory,
  openDatabase,
  storeBatch,
  toDecodedBatch,
  upsertEdgeCredential,
} from '@gridlink/central';
import { PG_ADMIN_URL, postgresReachable, scratchPostgres } from '@gridlink/central/testing';
import { parseJsonPayload, type TelemetryBatch, telemetryBatchSchema } from '@gridlink/shared';
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
  const parsed = bodies.map((b) => JSON.parse(b) as TelemetryBatch);
  const t = performance.now();
  for (const b of parsed) {
    await db.transaction().execute(async (trx) => {
      await sql`
        INSERT INTO readings_raw (stream_id, seq, meter_id, ts, quality, values)
        SELECT 1, u.seq, u.meter_id, to_timestamp(u.ts), u.quality, u.values::jsonb
        FROM unnest(${b.readings.map((r) => r.seq)}::bigint[], ${b.readings.map((r) => ids.get(r.deviceId) as number)}::int[],
                    ${b.readings.map((r) => r.ts / 1000)}::float8[], ${b.readings.map((r) => r.quality)}::text[],
                    ${b.readings.map((r) => JSON.stringify(r.values))}::text[]) AS u(seq, meter_id, ts, quality, values)`.execute(
        trx,
      );
    });
  }
  const rawRate = total / ((performance.now() - t) / 1000);

  /** The central's path for one payload, as TelemetryIngest runs it. Returns readings/s. */
  const ingestAll = async (list: string[]) => {
    const start = performance.now();
    for (const body of list) {
      const batch = parseJsonPayload(telemetryBatchSchema, body, 8 * 1024 * 1024);
      const ids = await meters.resolve(
        batch.edgeId,
        batch.readings.map((r) => r.deviceId),
      );
      await storeBatch(db, toDecodedBatch(batch), ids);
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
