import { type Kysely, sql } from 'kysely';
import { ROLLUP_HORIZON_MS } from '../metering/index.js';
import type { Schema } from '../storage/index.js';
import { listMonthPartitions, type MonthPartition } from './partitions.js';

const DAY_MS = 24 * 3_600_000;

export interface RetentionPolicy {
  /** Raw readings older than this many days go (once rolled up); 0 = keep forever. */
  readingsDays: number;
  /** Quarantined readings (ingest_quarantine) older than this many days go; 0 = keep forever. */
  quarantineDays: number;
  /**
   * Cars' report history (`ev_car_states`) received more than this many days ago goes; 0 = keep
   * forever. Each car's last report stays on its `ev_cars` row either way.
   */
  carHistoryDays: number;
  /** Rows per DELETE statement: each batch is its own short transaction. */
  batchSize: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = Object.freeze({
  readingsDays: 400,
  quarantineDays: 400,
  carHistoryDays: 400,
  batchSize: 5000,
});

export interface RetentionResult {
  /**
   * Month partitions of `readings` dropped whole (oldest first): every row past the cutoff and,
   * for meters, behind the watermark. Their rows are not counted (a drop does not read them).
   */
  partitions: string[];
  /** Meter readings deleted: older than the cutoff and behind their meter's rollup watermark. */
  readings: number;
  /** Readings of devices that are not meters (no rollup), deleted by age alone. */
  deviceReadings: number;
  quarantine: number;
  /** Cars' history rows deleted. */
  carStates: number;
  /** DELETE statements run. */
  batches: number;
}

/**
 * Deletes raw data past its age (docs/LIFECYCLE.md). First whole months: a partition of
 * `readings` that ends at or before the cutoff and holds no reading that must stay is dropped
 * (O(1), no row is read or deleted). Then row by row, for what is left: the month that straddles
 * the cutoff, the default partition, and months a reading must stay in. A meter reading goes only when it is older
 * than the cutoff AND strictly behind its meter's rollup watermark: its energy is then in
 * `consumption_hourly` / `consumption_runs` (kept forever, as are invoices), and the rollup never
 * reads it again (it reads only after the watermark). A meter never rolled up keeps every reading;
 * a watermark past the rollup horizon (one the rollup would repair by rolling the meter up again
 * from its first reading) keeps them too. Work goes in batches of `batchSize` rows, one statement
 * each, so no transaction holds many locks and ingest keeps going. Idempotent: run it any time.
 */
export async function applyRetention(
  db: Kysely<Schema>,
  policy: RetentionPolicy,
  now: Date,
): Promise<RetentionResult> {
  const out: RetentionResult = {
    partitions: [],
    readings: 0,
    deviceReadings: 0,
    quarantine: 0,
    carStates: 0,
    batches: 0,
  };
  const batch = Math.max(1, Math.floor(policy.batchSize));
  const drain = async (step: () => Promise<number>): Promise<number> => {
    let total = 0;
    for (;;) {
      const n = await step();
      out.batches += 1;
      total += n;
      if (n < batch) return total;
    }
  };
  if (policy.readingsDays > 0) {
    const cutoff = new Date(now.getTime() - policy.readingsDays * DAY_MS);
    const horizon = new Date(now.getTime() + ROLLUP_HORIZON_MS);
    for (const p of await listMonthPartitions(db)) {
      if (p.to.getTime() > cutoff.getTime()) break;
      if (await dropIfDone(db, p, horizon)) out.partitions.push(p.name);
    }
    out.readings = await drain(async () => {
      const r = await db
        .deleteFrom('readings')
        .where('ts', '<', cutoff)
        .where(
          sql<boolean>`(stream_id, seq, ts) IN (
            SELECT r.stream_id, r.seq, r.ts
              FROM meter_rollup_state s
              JOIN readings r ON r.meter_id = s.meter_id
             WHERE s.last_ts IS NOT NULL
               AND s.last_ts <= ${horizon}
               AND r.ts < ${cutoff}
               AND r.ts < s.last_ts
             LIMIT ${batch})`,
        )
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    });
    out.deviceReadings = await drain(async () => {
      const r = await db
        .deleteFrom('readings')
        .where('ts', '<', cutoff)
        .where(
          sql<boolean>`(stream_id, seq, ts) IN (
            SELECT stream_id, seq, ts FROM readings
             WHERE device_ref IS NOT NULL AND ts < ${cutoff}
             LIMIT ${batch})`,
        )
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    });
  }
  /** Rows of `table` received more than `days` ago, by their id, a batch a statement. */
  const receivedBefore = (table: 'ingest_quarantine' | 'ev_car_states', days: number) => {
    const cutoff = new Date(now.getTime() - days * DAY_MS);
    return drain(async () => {
      const r = await db
        .deleteFrom(table)
        .where(
          sql<boolean>`id IN (
            SELECT id FROM ${sql.table(table)} WHERE received_at < ${cutoff} LIMIT ${batch})`,
        )
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    });
  };
  if (policy.quarantineDays > 0)
    out.quarantine = await receivedBefore('ingest_quarantine', policy.quarantineDays);
  if (policy.carHistoryDays > 0)
    out.carStates = await receivedBefore('ev_car_states', policy.carHistoryDays);
  return out;
}

/**
 * Drops the month `p` (wholly before the cutoff) unless a meter reading in it must stay: one of a
 * meter never rolled up, or whose watermark is past the horizon, or at or after its watermark.
 * Readings of devices that are not meters go by age alone. The check is one probe of the
 * partition's (meter_id, ts) index per meter, not a scan. The month is locked against writes for
 * the check and the drop, so no reading that must stay lands in it between them; ingest of other
 * months goes on, and waits only for the DROP itself (it locks the parent, briefly). A late
 * reading of this very month, arriving meanwhile, may meet a deadlock that PostgreSQL breaks by
 * failing one side: the job retries its slot, the batch goes unacknowledged and is resent.
 */
async function dropIfDone(db: Kysely<Schema>, p: MonthPartition, horizon: Date): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await sql`LOCK TABLE ${sql.id(p.name)} IN SHARE ROW EXCLUSIVE MODE`.execute(trx);
    const { rows } = await sql`
      SELECT 1 FROM meters m
        LEFT JOIN meter_rollup_state s ON s.meter_id = m.id
       WHERE EXISTS (
         SELECT 1 FROM ${sql.id(p.name)} r
          WHERE r.meter_id = m.id
            AND r.ts >= CASE WHEN s.last_ts IS NULL OR s.last_ts > ${horizon}
                             THEN '-infinity'::timestamptz ELSE s.last_ts END)
       LIMIT 1`.execute(trx);
    if (rows.length > 0) return false;
    await sql`DROP TABLE ${sql.id(p.name)}`.execute(trx);
    return true;
  });
}
