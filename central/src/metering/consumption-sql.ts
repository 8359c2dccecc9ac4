import { type Expression, type Kysely, type RawBuilder, sql } from 'kysely';
import type { Schema } from '../storage/index.js';
import type { HourRun } from './runs-in-buckets.js';

/**
 * SQL over the two stores of hourly energy: `consumption_hourly` (one row per hour) and
 * `consumption_runs` (one row per block of hours with equal Wh, for long gaps between readings).
 * Every reader of consumption goes through these, so a run is counted the same way everywhere.
 */

type Instant = Expression<unknown> | RawBuilder<unknown>;

/**
 * The first UTC hour start at or after `at`, exactly (timestamps have µs resolution, so adding an
 * hour less 1 µs and truncating is the ceiling; no division, no rounding).
 */
const ceilHour = (at: Instant) =>
  sql`(date_trunc('hour', (${at}) AT TIME ZONE 'UTC' + interval '3599.999999 seconds') AT TIME ZONE 'UTC')`;

/**
 * Wh of run `r` in [from, to): its Wh per hour × the hour starts inside both, computed in O(1)
 * (⌈min(end, to)⌉ − ⌈max(start, from)⌉ in hours, never negative; the difference of two hour
 * starts is a whole number of hours, so the division is exact).
 */
export function runWhBetween(r: string, from: Instant, to: Instant): RawBuilder<string> {
  const start = sql.ref(`${r}.start_hour`);
  const end = sql.ref(`${r}.end_hour`);
  const wh = sql.ref(`${r}.wh_per_hour`);
  return sql<string>`(${wh} * greatest(0, extract(epoch from
    ${ceilHour(sql`least(${end}, ${to})`)} - ${ceilHour(sql`greatest(${start}, ${from})`)}) / 3600))`;
}

/**
 * The hourly energy of one meter in [from, to) as rows `(hour, wh)`: its hourly rows and the
 * hours of its runs, expanded only inside the range. For a LATERAL join over a bounded range (a
 * month, a rule's window): the rows produced are at most the hours of the range.
 */
export function meterHours(meterId: Instant, from: Instant, to: Instant): RawBuilder<unknown> {
  return sql`(
    SELECT h.hour, h.wh FROM consumption_hourly h
    WHERE h.meter_id = ${meterId} AND h.hour >= ${from} AND h.hour < ${to}
    UNION ALL
    SELECT gs AS hour, r.wh_per_hour AS wh FROM consumption_runs r,
      generate_series(greatest(r.start_hour, ${ceilHour(from)}),
                      least(r.end_hour, ${ceilHour(to)}) - interval '1 hour',
                      interval '1 hour') gs
    WHERE r.meter_id = ${meterId} AND r.start_hour < ${to} AND r.end_hour > ${from}
  )`;
}

/** The runs of the meters that overlap [from, to), oldest first. */
export async function runsOverlapping(
  db: Kysely<Schema>,
  meterIds: readonly number[],
  from: Date,
  to: Date,
): Promise<HourRun[]> {
  if (meterIds.length === 0) return [];
  const rows = await db
    .selectFrom('consumption_runs')
    .select(['start_hour', 'end_hour', 'wh_per_hour'])
    .where('meter_id', 'in', meterIds)
    .where('start_hour', '<', to)
    .where('end_hour', '>', from)
    .orderBy('start_hour')
    .execute();
  return rows.map((r) => ({
    start: new Date(r.start_hour).getTime(),
    end: new Date(r.end_hour).getTime(),
    whPerHour: Number(r.wh_per_hour),
  }));
}
