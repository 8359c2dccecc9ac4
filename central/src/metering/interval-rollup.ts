import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Schema } from '../storage/index.js';
import { addHours } from './hourly-rows.js';
import {
  ENERGY_INTERVAL,
  type IntervalSample,
  intervalMwh,
  intervalToHourly,
} from './interval-amounts.js';

/** The cumulative register (kWh); a reading that carries it is rolled up as a register reading. */
const REGISTER = 'energy_import';

/** Default threshold of a missing interval (`metering.intervalGapSeconds`, 3600 s). */
export const DEFAULT_INTERVAL_GAP_MS = 3_600_000;

/** Default excess threshold of one interval reading (`alarms.excess.singleReadingKwh`, 1000 kWh). */
export const DEFAULT_EXCESS_READING_MWH = 1_000_000_000;

export interface IntervalRollupResult {
  /** Interval readings whose amount was added to the rollups. */
  applied: number;
  /** Interval readings ignored: quality `bad`, negative, not a number or implausibly large. */
  ignored: number;
}

/**
 * A usable interval reading of alias `r`: not `bad`, an `energy_interval` that is a number ≥ 0,
 * and no cumulative register beside it (that reading is a register reading). The gaps are
 * computed over these readings only, so an ignored reading leaves its interval a visible gap.
 */
const usable = (r: string): RawBuilder<boolean> => {
  const v = sql.ref(`${r}.values`);
  return sql<boolean>`(${sql.ref(`${r}.quality`)} <> 'bad'
    AND jsonb_typeof(${v}->${ENERGY_INTERVAL}) = 'number'
    AND NOT (${v} ? ${REGISTER})
    AND CASE WHEN jsonb_typeof(${v}->${ENERGY_INTERVAL}) = 'number'
             THEN (${v}->>${ENERGY_INTERVAL})::numeric >= 0 ELSE false END)`;
};

/** Settings every rollup reads, whoever calls it (the job, the alarm sweep, billing). */
export interface MeteringSettings {
  /** Two consecutive interval readings further apart than this leave a recorded gap. */
  intervalGapMs: number;
  /** An interval amount above this (kWh, decimal text or number) is an excess reading; none if absent. */
  excessReadingKwh?: string | number;
}

/**
 * Stores the settings (one row; the central writes them from its config at start, so every
 * instance and every caller of the rollup uses the same). Gaps and excess readings already
 * recorded keep the thresholds they were found with.
 */
export async function setMeteringSettings(
  db: Kysely<Schema>,
  settings: MeteringSettings,
): Promise<void> {
  const excess =
    settings.excessReadingKwh === undefined ? null : intervalMwh(settings.excessReadingKwh);
  if (excess === undefined) throw new Error('excessReadingKwh: expected a kWh amount >= 0');
  await sql`
    INSERT INTO metering_settings (id, interval_gap_ms, excess_reading_mwh)
    VALUES (1, ${settings.intervalGapMs}, ${excess})
    ON CONFLICT (id) DO UPDATE
      SET interval_gap_ms = excluded.interval_gap_ms, excess_reading_mwh = excluded.excess_reading_mwh
  `.execute(db);
}

interface Settings {
  gapMs: number;
  excessMwh: number | null;
}

async function readSettings(db: Kysely<Schema>): Promise<Settings> {
  const { rows } = await sql<{ gap: string; excess: string | null }>`
    SELECT interval_gap_ms::text AS gap, excess_reading_mwh::text AS excess
    FROM metering_settings WHERE id = 1`.execute(db);
  const r = rows[0];
  if (!r) return { gapMs: DEFAULT_INTERVAL_GAP_MS, excessMwh: DEFAULT_EXCESS_READING_MWH };
  return { gapMs: Number(r.gap), excessMwh: r.excess === null ? null : Number(r.excess) };
}

/** The partial index `readings_interval_seq`'s predicate, as a literal so the planner uses it. */
const HAS_INTERVAL = sql.raw(`r.values ? '${ENERGY_INTERVAL}'`);

interface IntervalRow {
  seq: string;
  meter_id: number;
  ms: string;
  ts_text: string;
  quality: string;
  kwh: string | null;
  kind: string | null;
  has_register: boolean;
}

/**
 * Adds every new interval reading (`energy_interval`, kWh since the previous datagram) to the
 * hour holding the end of its interval. Readings are taken by identity, not by time: each ingest
 * stream has a cursor (`interval_rollup_cursors.applied_seq`), and since a stream is stored
 * strictly in seq order (docs/WIRE.md, "Exactly once") every reading above the cursor is new and
 * every one at or below it is in the rollups. A late reading (older than the meter's newest) is
 * therefore counted like any other: its energy is in no other reading. The cursor and the hours
 * move in one transaction that holds the cursor row lock, then the lock of each meter's
 * `meter_rollup_state` row (ascending id, the same lock the register rollup takes), so concurrent
 * rollups add every reading exactly once. Readings dated past `horizon` stop their stream's
 * cursor until their time comes (ingest never stores one more than its skew ahead).
 * Work: the new readings of each stream, read once.
 */
export async function rollupIntervals(
  db: Kysely<Schema>,
  horizon: Date,
  batchSize = 5000,
): Promise<IntervalRollupResult> {
  const total: IntervalRollupResult = { applied: 0, ignored: 0 };
  const { rows: streams } = await sql<{ id: number }>`
    SELECT s.id FROM ingest_streams s
    LEFT JOIN interval_rollup_cursors c ON c.stream_id = s.id
    WHERE s.up_to > coalesce(c.applied_seq, 0)
    ORDER BY s.id`.execute(db);
  if (streams.length === 0) return total;
  const settings = await readSettings(db);
  for (const { id } of streams) {
    for (;;) {
      const step = await db
        .transaction()
        .execute((trx) => rollupStreamBatch(trx, id, horizon, settings, batchSize));
      total.applied += step.applied;
      total.ignored += step.ignored;
      if (!step.more) break;
    }
  }
  return total;
}

async function rollupStreamBatch(
  trx: Kysely<Schema>,
  streamId: number,
  horizon: Date,
  settings: Settings,
  batchSize: number,
): Promise<IntervalRollupResult & { more: boolean }> {
  await sql`INSERT INTO interval_rollup_cursors (stream_id) VALUES (${streamId})
            ON CONFLICT (stream_id) DO NOTHING`.execute(trx);
  const { rows: cur } = await sql<{ applied: string }>`
    SELECT applied_seq::text AS applied FROM interval_rollup_cursors
    WHERE stream_id = ${streamId} FOR UPDATE`.execute(trx);
  const applied = Number((cur[0] as { applied: string }).applied);
  // Read the mark first: every seq up to it is committed, so the next statement sees all of them.
  const { rows: mark } = await sql<{ up_to: string }>`
    SELECT up_to::text FROM ingest_streams WHERE id = ${streamId}`.execute(trx);
  const upTo = Number((mark[0] as { up_to: string }).up_to);
  if (applied >= upTo) return { applied: 0, ignored: 0, more: false };
  const { rows } = await sql<IntervalRow>`
    SELECT r.seq::text AS seq, r.meter_id, (extract(epoch from r.ts) * 1000)::float8::text AS ms,
           r.ts::text AS ts_text, r.quality, r.values->>${ENERGY_INTERVAL} AS kwh,
           jsonb_typeof(r.values->${ENERGY_INTERVAL}) AS kind, r.values ? ${REGISTER} AS has_register
    FROM readings r
    WHERE r.stream_id = ${streamId} AND r.seq > ${applied} AND r.seq <= ${upTo}
      AND r.meter_id IS NOT NULL AND ${HAS_INTERVAL}
    ORDER BY r.seq
    LIMIT ${batchSize}`.execute(trx);
  let next = rows.length < batchSize ? upTo : Number((rows.at(-1) as IntervalRow).seq);
  let more = rows.length === batchSize;
  const future = rows.findIndex((r) => Math.round(Number(r.ms)) > horizon.getTime());
  const taken = future < 0 ? rows : rows.slice(0, future);
  if (future >= 0) {
    next = Number((rows[future] as IntervalRow).seq) - 1;
    more = false;
  }
  const byMeter = new Map<number, IntervalRow[]>();
  for (const r of taken) {
    if (r.has_register) continue; // a register reading: its register difference counts
    const list = byMeter.get(r.meter_id) ?? [];
    list.push(r);
    byMeter.set(r.meter_id, list);
  }
  const out = { applied: 0, ignored: 0, more };
  for (const meterId of [...byMeter.keys()].sort((a, b) => a - b)) {
    const r = await applyToMeter(trx, meterId, byMeter.get(meterId) ?? [], horizon, settings);
    out.applied += r.applied;
    out.ignored += r.ignored;
  }
  if (next > applied)
    await sql`UPDATE interval_rollup_cursors SET applied_seq = ${next}, updated_at = now()
              WHERE stream_id = ${streamId}`.execute(trx);
  return out;
}

/** Locks the meter's rollup state and adds its amounts, carry, gaps and excess readings. */
async function applyToMeter(
  trx: Kysely<Schema>,
  meterId: number,
  rows: readonly IntervalRow[],
  horizon: Date,
  settings: Settings,
): Promise<IntervalRollupResult> {
  const carry = await lockMeter(trx, meterId);
  const samples: IntervalSample[] = [];
  const stamps: string[] = [];
  let ignored = 0;
  for (const r of rows) {
    const mwh = r.quality === 'bad' || r.kind !== 'number' ? undefined : intervalMwh(r.kwh);
    if (mwh === undefined) {
      ignored += 1;
      continue;
    }
    samples.push({ ts: Math.round(Number(r.ms)), mwh });
    stamps.push(r.ts_text);
  }
  const step = intervalToHourly(carry, samples);
  await addHours(trx, meterId, step.hours);
  await updateGaps(trx, meterId, stamps, horizon, settings.gapMs);
  const { excessMwh } = settings;
  const excess = excessMwh === null ? [] : samples.filter((x) => x.mwh > excessMwh);
  if (excess.length > 0)
    await sql`
      INSERT INTO meter_excess_readings (meter_id, ts, mwh, threshold_mwh)
      SELECT ${meterId}, to_timestamp(u.ms / 1000.0), u.mwh, ${excessMwh}
      FROM unnest(${excess.map((x) => x.ts)}::float8[], ${excess.map((x) => x.mwh)}::bigint[])
        AS u(ms, mwh)`.execute(trx);
  await sql`UPDATE meter_rollup_state
            SET interval_carry_mwh = ${step.carryMwh},
                interval_ignored = interval_ignored + ${ignored}, updated_at = now()
            WHERE meter_id = ${meterId}`.execute(trx);
  return { applied: samples.length, ignored };
}

/** Creates (if new) and locks a meter's `meter_rollup_state` row; returns its interval carry. */
async function lockMeter(trx: Kysely<Schema>, meterId: number): Promise<number> {
  await sql`INSERT INTO meter_rollup_state (meter_id) VALUES (${meterId})
            ON CONFLICT (meter_id) DO NOTHING`.execute(trx);
  const { rows } = await sql<{ carry: string }>`
    SELECT interval_carry_mwh::text AS carry FROM meter_rollup_state
    WHERE meter_id = ${meterId} FOR UPDATE`.execute(trx);
  return Number((rows[0] as { carry: string }).carry);
}

/**
 * Keeps `meter_interval_gaps` equal to "consecutive usable interval readings (up to the horizon)
 * further apart than the threshold", whatever order readings arrive in: each new reading at t
 * removes the recorded gap it falls strictly inside, then records [prev, t) and [t, next) where
 * they are long enough (prev, next: its neighbours among the stored usable readings). Two index
 * probes per new reading.
 */
async function updateGaps(
  trx: Kysely<Schema>,
  meterId: number,
  stamps: readonly string[],
  horizon: Date,
  gapMs: number,
) {
  if (stamps.length === 0) return;
  const ts = sql`${[...new Set(stamps)]}::timestamptz[]`;
  await sql`
    DELETE FROM meter_interval_gaps g USING unnest(${ts}) AS t(ts)
    WHERE g.meter_id = ${meterId} AND g.from_ts < t.ts AND g.to_ts > t.ts`.execute(trx);
  const near = (cmp: RawBuilder<boolean>, agg: 'max' | 'min') => sql`(
    SELECT ${sql.raw(agg)}(r.ts) FROM readings r
    WHERE r.meter_id = ${meterId} AND ${cmp} AND r.ts <= ${horizon.toISOString()}::timestamptz
      AND ${usable('r')})`;
  await sql`
    WITH n AS (
      SELECT t.ts, ${near(sql<boolean>`r.ts < t.ts`, 'max')} AS prev,
                   ${near(sql<boolean>`r.ts > t.ts`, 'min')} AS next
      FROM unnest(${ts}) AS t(ts)
    ),
    x AS (SELECT prev AS a, ts AS b FROM n UNION SELECT ts, next FROM n)
    INSERT INTO meter_interval_gaps (meter_id, from_ts, to_ts)
    SELECT ${meterId}, x.a, x.b FROM x
    WHERE x.a IS NOT NULL AND x.b IS NOT NULL AND x.b - x.a > ${gapMs} * interval '1 millisecond'
    ON CONFLICT (meter_id, from_ts) DO NOTHING`.execute(trx);
}

/**
 * After a meter's rollups were cleared (rebuild, or a register watermark past the horizon):
 * adds again every interval reading of the meter that its streams' cursors had already taken,
 * oldest first, and finds its gaps again. The caller holds the meter's state row lock; readings
 * above the cursors are left to `rollupIntervals`. Work: the meter's readings.
 */
export async function reapplyIntervals(
  trx: Kysely<Schema>,
  meterId: number,
  horizon: Date,
): Promise<void> {
  await sql`DELETE FROM meter_interval_gaps WHERE meter_id = ${meterId}`.execute(trx);
  const { rows } = await sql<{ ms: string; kwh: string }>`
    SELECT (extract(epoch from r.ts) * 1000)::float8::text AS ms, r.values->>${ENERGY_INTERVAL} AS kwh
    FROM readings r JOIN interval_rollup_cursors c ON c.stream_id = r.stream_id
    WHERE r.meter_id = ${meterId} AND r.seq <= c.applied_seq AND ${usable('r')}
    ORDER BY r.ts, r.stream_id, r.seq`.execute(trx);
  const samples: IntervalSample[] = [];
  for (const r of rows) {
    const mwh = intervalMwh(r.kwh);
    if (mwh !== undefined) samples.push({ ts: Math.round(Number(r.ms)), mwh });
  }
  const step = intervalToHourly(0, samples);
  await addHours(trx, meterId, step.hours);
  await sql`UPDATE meter_rollup_state SET interval_carry_mwh = ${step.carryMwh}
            WHERE meter_id = ${meterId}`.execute(trx);
  const { gapMs } = await readSettings(trx);
  await sql`
    INSERT INTO meter_interval_gaps (meter_id, from_ts, to_ts)
    SELECT ${meterId}, x.a, x.b FROM (
      SELECT lag(r.ts) OVER (ORDER BY r.ts) AS a, r.ts AS b FROM readings r
      WHERE r.meter_id = ${meterId} AND r.ts <= ${horizon.toISOString()}::timestamptz
        AND ${usable('r')}) x
    WHERE x.a IS NOT NULL AND x.b - x.a > ${gapMs} * interval '1 millisecond'
    ON CONFLICT (meter_id, from_ts) DO NOTHING`.execute(trx);
}

export interface IntervalGap {
  /** The last interval reading before the gap. */
  from: string;
  /** The first one after it: energy of [from, to) may be missing (unknown, not zero). */
  to: string;
}

/** The recorded gaps of the meters that overlap [from, to), oldest first (at most `limit`). */
export async function intervalGapsOverlapping(
  db: Kysely<Schema>,
  meterIds: readonly number[],
  from: Date,
  to: Date,
  limit = 1000,
): Promise<IntervalGap[]> {
  if (meterIds.length === 0) return [];
  const { rows } = await sql<{ f: string; t: string }>`
    SELECT DISTINCT to_json(from_ts)#>>'{}' AS f, to_json(to_ts)#>>'{}' AS t, from_ts, to_ts
    FROM meter_interval_gaps
    WHERE meter_id = ANY(${[...meterIds]}::int[])
      AND from_ts < ${to.toISOString()}::timestamptz AND to_ts > ${from.toISOString()}::timestamptz
    ORDER BY from_ts, to_ts
    LIMIT ${limit}`.execute(db);
  return rows.map((r) => ({
    from: new Date(r.f).toISOString(),
    to: new Date(r.t).toISOString(),
  }));
}
