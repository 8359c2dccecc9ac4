import { type Kysely, sql } from 'kysely';
import type { Schema } from '../storage/index.js';

/**
 * The monthly partitions of `readings` (migration 0024, docs/LIFECYCLE.md "Partitions"): one per
 * UTC month, named `readings_YYYYMM`, covering [first of the month 00:00Z, first of the next),
 * and `readings_default` for every ts outside them. The name is the contract: every partition is
 * made here or by the migration, so a month's bounds are read from its name.
 */
export const DEFAULT_PARTITION = 'readings_default';

export interface MonthPartition {
  name: string;
  from: Date;
  to: Date;
}

const NAME = /^readings_(\d{4})(\d{2})$/;

/** The UTC month holding `at`, shifted by `add` months. */
export function monthStart(at: Date, add = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + add, 1));
}

export function monthPartition(from: Date): MonthPartition {
  const y = from.getUTCFullYear();
  const m = from.getUTCMonth() + 1;
  return {
    name: `readings_${String(y).padStart(4, '0')}${String(m).padStart(2, '0')}`,
    from,
    to: monthStart(from, 1),
  };
}

/** The month partitions attached to `readings`, oldest first (the default one aside). */
export async function listMonthPartitions(db: Kysely<Schema>): Promise<MonthPartition[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'readings'::regclass`.execute(db);
  const out: MonthPartition[] = [];
  for (const { name } of rows) {
    const m = NAME.exec(name);
    if (m) out.push(monthPartition(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1))));
  }
  return out.sort((a, b) => a.from.getTime() - b.from.getTime());
}

export interface PartitionsResult {
  /** Partitions made, oldest first. */
  created: string[];
  /** Rows moved out of `readings_default` into the partitions made (none is left behind). */
  rescued: number;
}

/**
 * Makes the partition of every month from `at`'s to `monthsAhead` after it, and of every earlier
 * month that has rows in `readings_default` (a late or restored reading of a month with no
 * partition), so those rows are in a month that retention can drop whole. Months later than the
 * window stay in the default partition (a clock far ahead should not make partitions).
 * Idempotent. Each month is one transaction (createMonth).
 */
export async function ensurePartitions(
  db: Kysely<Schema>,
  at: Date,
  monthsAhead: number,
): Promise<PartitionsResult> {
  const have = new Set((await listMonthPartitions(db)).map((p) => p.name));
  const end = monthStart(at, monthsAhead + 1);
  const wanted = new Map<string, MonthPartition>();
  for (let k = 0; k <= monthsAhead; k++) {
    const p = monthPartition(monthStart(at, k));
    wanted.set(p.name, p);
  }
  const { rows } = await sql<{ month: Date }>`
    SELECT DISTINCT date_trunc('month', ts, 'UTC') AS month
      FROM readings_default WHERE ts < ${end}`.execute(db);
  for (const { month } of rows) {
    const p = monthPartition(monthStart(new Date(month)));
    wanted.set(p.name, p);
  }
  const out: PartitionsResult = { created: [], rescued: 0 };
  const missing = [...wanted.values()]
    .filter((p) => !have.has(p.name))
    .sort((a, b) => a.from.getTime() - b.from.getTime());
  for (const p of missing) {
    out.rescued += await createMonth(db, p);
    out.created.push(p.name);
  }
  return out;
}

/**
 * Makes one month's partition and moves into it the default partition's rows of that month, in
 * one transaction. PostgreSQL refuses `CREATE TABLE … PARTITION OF` while the default partition
 * holds rows of the new range, so the month is made as a plain table of the same shape, filled
 * from the default partition (DELETE … RETURNING into it) and then attached, which checks that
 * the default partition has no row left in the range. The default partition is locked first
 * (ingest waits for this short transaction): no reading of the month can slip into it between the
 * move and the attach. Returns the rows moved.
 */
async function createMonth(db: Kysely<Schema>, p: MonthPartition): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const table = sql.id(p.name);
    await sql`LOCK TABLE readings_default IN ACCESS EXCLUSIVE MODE`.execute(trx);
    await sql`CREATE TABLE ${table}
                (LIKE readings INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`.execute(trx);
    const moved = await sql`
      WITH moved AS (
        DELETE FROM readings_default WHERE ts >= ${p.from} AND ts < ${p.to}
        RETURNING stream_id, seq, meter_id, ts, quality, "values", device_ref
      )
      INSERT INTO ${table} (stream_id, seq, meter_id, ts, quality, "values", device_ref)
      SELECT * FROM moved`.execute(trx);
    await sql`ALTER TABLE readings ATTACH PARTITION ${table}
                FOR VALUES FROM (${sql.lit(p.from.toISOString())})
                TO (${sql.lit(p.to.toISOString())})`.execute(trx);
    return Number(moved.numAffectedRows ?? 0n);
  });
}
