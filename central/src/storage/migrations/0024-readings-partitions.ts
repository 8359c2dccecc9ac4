import { type Kysely, sql } from 'kysely';

/**
 * `readings` becomes a table partitioned by RANGE (ts), one partition per UTC month
 * (`readings_YYYYMM`, [first of the month 00:00Z, first of the next)) plus `readings_default` for
 * any ts outside the months created (docs/LIFECYCLE.md, "Partitions"). Retention then drops a
 * whole month (DROP TABLE, O(1)) instead of deleting its rows, and a query bounded in ts reads
 * only the months it touches.
 *
 * The primary key must hold the partition key, so it becomes (stream_id, seq, ts). Exactly-once
 * does not rest on it: the (edge, epoch) high-water mark (`ingest_streams.up_to`, locked and
 * advanced in the batch's own transaction) decides what is stored, and a seq at or below it is
 * never inserted again. The key is the last line of defence behind the mark, and it still
 * catches a resent reading: the edge resends the record from its log, with the same seq and the
 * same ts, so (stream_id, seq, ts) collides exactly where (stream_id, seq) did. Nothing writes
 * `readings` with ON CONFLICT (ingest inserts only the seqs above the mark), so no conflict
 * target names the old key.
 *
 * Existing rows move in this migration's transaction: the old table is renamed, the new one made
 * with a partition for every month that holds rows plus the current month and the next three
 * (the `lifecycle.partitions` job keeps months created ahead from then on), the rows copied, the
 * old table dropped. Indexes are made on the parent, so every partition, present or future, has
 * them. Bounds are UTC literals: the session's TimeZone does not move a month.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE readings RENAME TO readings_unpartitioned`.execute(db);
  // Index and key names are relation names: free them for the new table.
  for (const index of ['readings_meter_ts', 'readings_device_ts', 'readings_interval_seq'])
    await sql`DROP INDEX IF EXISTS ${sql.id(index)}`.execute(db);
  await sql`ALTER TABLE readings_unpartitioned DROP CONSTRAINT readings_pk`.execute(db);
  await sql`
    CREATE TABLE readings (
      stream_id integer NOT NULL,
      seq bigint NOT NULL,
      meter_id integer,
      ts timestamptz NOT NULL,
      quality text NOT NULL CONSTRAINT readings_quality_check
        CHECK (quality IN ('good','uncertain','bad')),
      "values" jsonb NOT NULL,
      device_ref integer,
      CONSTRAINT readings_one_owner CHECK (num_nonnulls(meter_id, device_ref) = 1),
      CONSTRAINT readings_pk PRIMARY KEY (stream_id, seq, ts)
    ) PARTITION BY RANGE (ts)`.execute(db);
  const { rows } = await sql<{ month: string }>`
    SELECT to_char(m, 'YYYY-MM') AS month FROM (
      SELECT DISTINCT date_trunc('month', ts, 'UTC') AS m FROM readings_unpartitioned
      UNION
      SELECT date_trunc('month', now(), 'UTC') + make_interval(months => k)
        FROM generate_series(0, 3) AS k
    ) months ORDER BY 1`.execute(db);
  for (const { month } of rows) {
    const [y, m] = month.split('-').map(Number) as [number, number];
    const from = `${month}-01 00:00:00+00`;
    const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
    await sql`
      CREATE TABLE ${sql.id(`readings_${month.replace('-', '')}`)} PARTITION OF readings
        FOR VALUES FROM (${sql.lit(from)}) TO (${sql.lit(`${next}-01 00:00:00+00`)})`.execute(db);
  }
  await sql`CREATE TABLE readings_default PARTITION OF readings DEFAULT`.execute(db);
  await sql`
    INSERT INTO readings (stream_id, seq, meter_id, ts, quality, "values", device_ref)
    SELECT stream_id, seq, meter_id, ts, quality, "values", device_ref
      FROM readings_unpartitioned`.execute(db);
  await sql`DROP TABLE readings_unpartitioned`.execute(db);
  await createIndexes(db);
}

/** The indexes of 0001, 0009 and 0012, on the parent (so on every partition). */
async function createIndexes(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX readings_meter_ts ON readings (meter_id, ts)`.execute(db);
  await sql`CREATE INDEX readings_device_ts ON readings (device_ref, ts)
            WHERE device_ref IS NOT NULL`.execute(db);
  await sql`CREATE INDEX readings_interval_seq ON readings (stream_id, seq)
            WHERE values ? 'energy_interval'`.execute(db);
}

/** Back to one table keyed (stream_id, seq), every row kept. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE readings RENAME TO readings_partitioned`.execute(db);
  for (const index of ['readings_meter_ts', 'readings_device_ts', 'readings_interval_seq'])
    await sql`DROP INDEX IF EXISTS ${sql.id(index)}`.execute(db);
  await sql`ALTER TABLE readings_partitioned DROP CONSTRAINT readings_pk`.execute(db);
  await sql`
    CREATE TABLE readings (
      stream_id integer NOT NULL,
      seq bigint NOT NULL,
      meter_id integer,
      ts timestamptz NOT NULL,
      quality text NOT NULL CONSTRAINT readings_quality_check
        CHECK (quality IN ('good','uncertain','bad')),
      "values" jsonb NOT NULL,
      device_ref integer,
      CONSTRAINT readings_one_owner CHECK (num_nonnulls(meter_id, device_ref) = 1),
      CONSTRAINT readings_pk PRIMARY KEY (stream_id, seq)
    )`.execute(db);
  await sql`
    INSERT INTO readings (stream_id, seq, meter_id, ts, quality, "values", device_ref)
    SELECT stream_id, seq, meter_id, ts, quality, "values", device_ref
      FROM readings_partitioned`.execute(db);
  await sql`DROP TABLE readings_partitioned`.execute(db);
  await createIndexes(db);
}
