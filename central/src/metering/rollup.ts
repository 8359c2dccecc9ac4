import { CENTRAL_FUTURE_SKEW_MS, MAX_READING_TS } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import { kwhToWh } from '../money/index.js';
import type { Schema } from '../storage/index.js';
import { addHours } from './hourly-rows.js';
import { reapplyIntervals, rollupIntervals } from './interval-rollup.js';
import { type RegisterSample, registerToHourly } from './intervals.js';
import { HOUR_MS, type HourBlock } from './spread-interval.js';

/** The cumulative import register of a reading (kWh), as stored by ingest. */
export const ENERGY_REGISTER = 'energy_import';

export interface RollupResult {
  meters: number;
  /** Register readings rolled up. */
  readings: number;
  resets: number;
  /** Interval readings (`energy_interval`) added, of every meter (they are taken per stream). */
  intervals: number;
  /** Interval readings ignored: `bad`, negative or not a number (docs/METERING.md). */
  intervalsIgnored: number;
}

export interface RollupOptions {
  /** Readings per transaction; a long backlog is rolled up in several. */
  batchSize?: number;
  /** The clock: readings later than `now + horizonMs` wait (default: the wall clock). */
  now?: Date;
  /** How far past `now` a reading is still rolled up; default the central's ingest skew, 1 h. */
  horizonMs?: number;
}

/**
 * Readings dated past the horizon are not rolled up yet: one dated 9999 would otherwise become the
 * watermark, spread its energy over the centuries and leave every later genuine reading "late".
 */
export const ROLLUP_HORIZON_MS = CENTRAL_FUTURE_SKEW_MS;

/**
 * Rolls one meter's new readings (after its watermark, up to the horizon) into
 * `consumption_hourly` and `consumption_runs`. Idempotent and safe to run concurrently: the
 * watermark row is locked for the transaction that moves it, so a reading is added to the rollup
 * exactly once. Readings of quality `bad` and readings without the register are ignored; a
 * reading older than the watermark (arriving late) is not re-applied — its energy is already in
 * the next register difference. Work per reading is constant, whatever the gap to the previous one.
 * A watermark already past the horizon (left by an older version from a reading dated in the
 * future) is repaired: the meter is rolled up again from its first reading.
 * Then the interval readings (`energy_interval`) of every stream are added (`rollupIntervals`).
 */
export async function rollupMeter(
  db: Kysely<Schema>,
  meterId: number,
  options: RollupOptions = {},
): Promise<RollupResult> {
  const total = await rollupRegister(db, meterId, options);
  const intervals = await rollupIntervals(db, horizonOf(options), options.batchSize);
  return { ...total, intervals: intervals.applied, intervalsIgnored: intervals.ignored };
}

/** Never past the latest time a reading can carry (a Date beyond year 9999 has no ISO text). */
function horizonOf(options: RollupOptions): Date {
  return new Date(
    Math.min(
      (options.now ?? new Date()).getTime() + (options.horizonMs ?? ROLLUP_HORIZON_MS),
      MAX_READING_TS,
    ),
  );
}

/** The register part of `rollupMeter`: one meter's `energy_import` readings after its watermark. */
async function rollupRegister(
  db: Kysely<Schema>,
  meterId: number,
  options: RollupOptions,
): Promise<RollupResult> {
  const batchSize = options.batchSize ?? 5000;
  const horizon = horizonOf(options);
  const total: RollupResult = {
    meters: 1,
    readings: 0,
    resets: 0,
    intervals: 0,
    intervalsIgnored: 0,
  };
  for (;;) {
    const n = await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('meter_rollup_state')
        .values({ meter_id: meterId })
        .onConflict((oc) => oc.column('meter_id').doNothing())
        .execute();
      let state = await trx
        .selectFrom('meter_rollup_state')
        .select(['last_ts', 'last_wh', sql<string | null>`last_ts::text`.as('last_ts_text')])
        .where('meter_id', '=', meterId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (state.last_ts && new Date(state.last_ts) > horizon) {
        await clearRollup(trx, meterId);
        await reapplyIntervals(trx, meterId, horizon);
        state = { last_ts: null, last_wh: null, last_ts_text: null };
      }
      let q = trx
        .selectFrom('readings')
        .select([
          sql<string>`(extract(epoch from ts) * 1000)::float8`.as('ms'),
          // Exact (µs) text of ts for the watermark; a JS Date would round to ms.
          sql<string>`ts::text`.as('ts_text'),
          sql<string | null>`values->>${ENERGY_REGISTER}`.as('kwh'),
          'values',
        ])
        .where('meter_id', '=', meterId)
        .where('ts', '<=', horizon)
        .where('quality', '<>', 'bad')
        .where(sql<boolean>`values->>${ENERGY_REGISTER} IS NOT NULL`)
        .orderBy('ts')
        .orderBy('stream_id')
        .orderBy('seq')
        .limit(batchSize);
      if (state.last_ts_text) q = q.where('ts', '>', sql<Date>`${state.last_ts_text}::timestamptz`);
      const rows = await q.execute();
      if (rows.length === 0) return 0;

      const samples: RegisterSample[] = [];
      for (const r of rows) {
        try {
          samples.push({ ts: Math.round(Number(r.ms)), wh: kwhToWh(r.kwh as string) });
        } catch {
          // A negative or non-numeric register value is not energy; skip the reading.
        }
      }
      const previous =
        state.last_ts && state.last_wh !== null
          ? { ts: new Date(state.last_ts).getTime(), wh: Number(state.last_wh) }
          : undefined;
      const step = registerToHourly(previous, samples);
      await addHours(trx, meterId, step.hours);
      await addRuns(trx, meterId, step.runs);
      if (step.resets.length > 0) {
        await trx
          .insertInto('meter_register_events')
          .values(
            step.resets.map((r) => ({
              meter_id: meterId,
              ts: new Date(r.ts),
              previous_wh: r.previousWh,
              new_wh: r.newWh,
            })),
          )
          .execute();
      }
      const lastRow = rows.at(-1) as (typeof rows)[number];
      await trx
        .updateTable('meter_rollup_state')
        .set({
          // The watermark is the last row read, even if its value was unusable.
          last_ts: sql`${lastRow.ts_text}::timestamptz`,
          last_wh: step.last?.wh ?? previous?.wh ?? null,
          last_values: JSON.stringify(lastRow.values),
          updated_at: sql`now()`,
        })
        .where('meter_id', '=', meterId)
        .execute();
      total.resets += step.resets.length;
      return rows.length;
    });
    total.readings += n;
    if (n < batchSize) return total;
  }
}

/** One row per block; blocks of one meter never overlap (each lies inside one reading gap). */
async function addRuns(trx: Kysely<Schema>, meterId: number, runs: readonly HourBlock[]) {
  if (runs.length === 0) return;
  await trx
    .insertInto('consumption_runs')
    .values(
      runs.map((r) => ({
        meter_id: meterId,
        start_hour: new Date(r.start),
        end_hour: new Date(r.start + r.hours * HOUR_MS),
        wh_per_hour: r.wh,
      })),
    )
    .execute();
}

/** Forgets everything rolled up for a meter: its hours, runs, register events and watermark. */
async function clearRollup(trx: Kysely<Schema>, meterId: number) {
  await trx.deleteFrom('consumption_hourly').where('meter_id', '=', meterId).execute();
  await trx.deleteFrom('consumption_runs').where('meter_id', '=', meterId).execute();
  await trx.deleteFrom('meter_register_events').where('meter_id', '=', meterId).execute();
  await trx
    .updateTable('meter_rollup_state')
    .set({ last_ts: null, last_wh: null, last_values: null })
    .where('meter_id', '=', meterId)
    .execute();
}

/** Rolls up every meter (or the given ones). One transaction per meter and batch. */
export async function rollupMeters(
  db: Kysely<Schema>,
  meterIds?: readonly number[],
  options: RollupOptions = {},
): Promise<RollupResult> {
  const ids =
    meterIds ??
    (await db.selectFrom('meters').select('id').orderBy('id').execute()).map((r) => r.id);
  const total: RollupResult = {
    meters: 0,
    readings: 0,
    resets: 0,
    intervals: 0,
    intervalsIgnored: 0,
  };
  for (const id of ids) {
    const r = await rollupRegister(db, id, options);
    total.meters += 1;
    total.readings += r.readings;
    total.resets += r.resets;
  }
  // Interval readings are taken per ingest stream, every meter's at once.
  const intervals = await rollupIntervals(db, horizonOf(options), options.batchSize);
  total.intervals = intervals.applied;
  total.intervalsIgnored = intervals.ignored;
  return total;
}

/** Recomputes one meter from scratch (after late or corrected readings). */
export async function rebuildRollup(
  db: Kysely<Schema>,
  meterId: number,
  options: RollupOptions = {},
): Promise<RollupResult> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('meter_rollup_state')
      .values({ meter_id: meterId })
      .onConflict((oc) => oc.column('meter_id').doNothing())
      .execute();
    // The same lock as every rollup of this meter, so nothing is added while it is rebuilt.
    await trx
      .selectFrom('meter_rollup_state')
      .select('meter_id')
      .where('meter_id', '=', meterId)
      .forUpdate()
      .execute();
    await clearRollup(trx, meterId);
    await reapplyIntervals(trx, meterId, horizonOf(options));
  });
  return rollupMeter(db, meterId, options);
}
