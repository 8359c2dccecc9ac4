import { GridlinkError, MAX_READING_TS } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import { formatKwh, wattHours } from '../money/index.js';
import type { Schema } from '../storage/index.js';
import { meterHours, runsOverlapping, runWhBetween } from './consumption-sql.js';
import { type IntervalGap, intervalGapsOverlapping } from './interval-rollup.js';
import { addRunsToBuckets } from './runs-in-buckets.js';
import { HOUR_MS } from './spread-interval.js';

export const granularities = ['hour', 'day', 'month', 'year'] as const;
export type Granularity = (typeof granularities)[number];
export const periods = ['day', 'month', 'year'] as const;
export type Period = (typeof periods)[number];

/** The natural breakdown of a period: a day by hour, a month by day, a year by month. */
export const defaultGranularity: Record<Period, Granularity> = {
  day: 'hour',
  month: 'day',
  year: 'month',
};

export type HistoryRange =
  /** The current period (offset 0), the previous one (1), … in the customer's zone. */
  | { period: Period; offset: number }
  /**
   * [from, to): `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` are local to the zone; an ISO instant with an
   * offset (`Z`, `-03:00`) is taken as is.
   */
  | { from: string; to: string };

export interface HistoryQuery {
  meterIds: readonly number[];
  timeZone: string;
  granularity: Granularity;
  range: HistoryRange;
  now: Date;
}

export interface HistoryBucket {
  /** Local label: `2024-03-01T13:00`, `2024-03-01`, `2024-03`, `2024`. */
  start: string;
  /** The instant the bucket starts. */
  startsAt: string;
  wh: number;
  kwh: string;
}

export interface History {
  timeZone: string;
  granularity: Granularity;
  from: string;
  to: string;
  totalWh: number;
  totalKwh: string;
  buckets: HistoryBucket[];
  /**
   * True when `from`/`to` asked for were not on UTC hour boundaries and were widened to whole
   * hours (the rollups are hourly): `from` and `to` above are the bounds actually used.
   */
  roundedToHours: boolean;
  /**
   * Missing intervals of interval meters overlapping the range (docs/METERING.md): energy there
   * is unknown, not zero. At most MAX_GAPS, oldest first.
   */
  gaps: IntervalGap[];
}

/** Gaps listed per history answer; a meter silent more often than this needs a shorter range. */
export const MAX_GAPS = 1000;

const LOCAL_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/;
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function bound(text: string, zone: string, name: string) {
  if (LOCAL_RE.test(text)) return sql`(${text}::timestamp AT TIME ZONE ${zone})`;
  if (INSTANT_RE.test(text)) return sql`${text}::timestamptz`;
  throw new GridlinkError(
    'GL_VALIDATION',
    `${name}: expected YYYY-MM-DD[THH:MM] or an ISO instant`,
  );
}

const MAX_BUCKETS = 10_000;
/** The shortest a bucket can be (a 23-hour day at a DST change): bounds the bucket count. */
const MIN_BUCKET_MS: Record<Granularity, number> = {
  hour: 3_600_000,
  day: 23 * 3_600_000,
  month: 28 * 86_400_000,
  year: 365 * 86_400_000,
};

const LABEL: Record<Granularity, string> = {
  hour: 'YYYY-MM-DD"T"HH24:00',
  day: 'YYYY-MM-DD',
  month: 'YYYY-MM',
  year: 'YYYY',
};

/** The [from, to) instants of the period `offset` periods back from `now`, in `zone`. */
export async function periodBounds(
  db: Kysely<Schema>,
  zone: string,
  period: Period,
  offset: number,
  now: Date,
): Promise<{ from: Date; to: Date }> {
  const step = sql.raw(`interval '1 ${period}'`);
  const unit = sql.lit(period);
  const { rows } = await sql<{ from_text: string; to_text: string }>`
    WITH p AS (
      SELECT date_trunc(${unit}, ${now.toISOString()}::timestamptz AT TIME ZONE ${zone})
             - ${offset}::int * ${step} AS ls
    )
    SELECT to_json(ls AT TIME ZONE ${zone})#>>'{}' AS from_text,
           to_json((ls + ${step}) AT TIME ZONE ${zone})#>>'{}' AS to_text FROM p
  `.execute(db);
  const r = rows[0] as { from_text: string; to_text: string };
  return { from: new Date(r.from_text), to: new Date(r.to_text) };
}

/**
 * Consumption of the meters per bucket, summed over meters, in the zone's calendar. Served from
 * `consumption_hourly`: day, month and year buckets group the UTC hours by their local date
 * (Postgres `AT TIME ZONE`, IANA rules, so DST and past offset changes are honoured); the runs of
 * `consumption_runs` that overlap the range add their share to each bucket they touch. Empty
 * buckets are returned with 0. Work is bounded by the buckets asked for (at most MAX_BUCKETS) and
 * the rows inside the range, never by the time between two readings.
 */
export async function consumptionHistory(db: Kysely<Schema>, q: HistoryQuery): Promise<History> {
  let fromAt: Date;
  let toAt: Date;
  if ('period' in q.range) {
    ({ from: fromAt, to: toAt } = await periodBounds(
      db,
      q.timeZone,
      q.range.period,
      q.range.offset,
      q.now,
    ));
  } else {
    const f = bound(q.range.from, q.timeZone, 'from');
    const t = bound(q.range.to, q.timeZone, 'to');
    const { rows: b } = await sql<{ f: string; t: string }>`
      SELECT to_json(${f})#>>'{}' AS f, to_json(${t})#>>'{}' AS t`.execute(db);
    fromAt = new Date((b[0] as { f: string }).f);
    toAt = new Date((b[0] as { t: string }).t);
    // A local 9999-12-31T23:00 west of UTC is in year 10000; 0001-01-01 east of UTC is BC.
    for (const [name, at] of [
      ['from', fromAt],
      ['to', toAt],
    ] as const)
      if (Number.isNaN(at.getTime()))
        throw new GridlinkError(
          'GL_VALIDATION',
          `${name}: in ${q.timeZone} it falls outside 0001-01-01T00:00Z – 9999-12-31T23:59Z`,
        );
  }
  if (!(fromAt < toAt)) throw new GridlinkError('GL_VALIDATION', 'from: must be before to');
  // The rollups are hourly: a range that cuts an hour is widened to the whole hour (outward, so
  // nothing asked for is left out) and the answer says so. A `to` in the last hour of 9999 stays.
  const exactFrom = fromAt.getTime();
  const exactTo = toAt.getTime();
  fromAt = new Date(Math.floor(exactFrom / HOUR_MS) * HOUR_MS);
  const ceilTo = Math.ceil(exactTo / HOUR_MS) * HOUR_MS;
  if (ceilTo <= MAX_READING_TS + 1) toAt = new Date(ceilTo);
  const roundedToHours = fromAt.getTime() !== exactFrom || toAt.getTime() !== exactTo;
  if ((toAt.getTime() - fromAt.getTime()) / MIN_BUCKET_MS[q.granularity] > MAX_BUCKETS)
    throw new GridlinkError(
      'GL_VALIDATION',
      `range: more than ${MAX_BUCKETS} ${q.granularity} buckets; use a coarser granularity`,
    );
  const from = sql`${fromAt.toISOString()}::timestamptz`;
  const to = sql`${toAt.toISOString()}::timestamptz`;
  const tz = q.timeZone;
  const g = sql.lit(q.granularity);
  const step = sql.raw(`interval '1 ${q.granularity}'`);
  const label = sql.lit(LABEL[q.granularity]);
  const ids = [...q.meterIds];
  // Hour buckets are UTC hours (a local hour may repeat or vanish at a DST change); coarser
  // buckets are local calendar units.
  const series =
    q.granularity === 'hour'
      ? sql`SELECT gs AS bucket, gs + interval '1 hour' AS bucket_end FROM b, generate_series(
            date_trunc('hour', f AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', t - interval '1 microsecond',
            interval '1 hour') gs`
      : sql`SELECT gs AT TIME ZONE ${tz} AS bucket, (gs + ${step}) AT TIME ZONE ${tz} AS bucket_end
            FROM b, generate_series(
            date_trunc(${g}, f AT TIME ZONE ${tz}), (t AT TIME ZONE ${tz}) - interval '1 microsecond',
            ${step}) gs`;
  const key =
    q.granularity === 'hour'
      ? sql`h.hour`
      : sql`date_trunc(${g}, h.hour AT TIME ZONE ${tz}) AT TIME ZONE ${tz}`;
  const { rows } = await sql<{ label: string; starts_at: string; ends_at: string; wh: string }>`
    WITH b AS (SELECT ${from} AS f, ${to} AS t),
    s AS (${series}),
    a AS (
      SELECT ${key} AS bucket, sum(h.wh)::bigint AS wh
      FROM consumption_hourly h, b
      WHERE h.meter_id = ANY(${ids}::int[]) AND h.hour >= b.f AND h.hour < b.t
      GROUP BY 1
    )
    SELECT to_char(s.bucket AT TIME ZONE ${tz}, ${label}) AS label,
           to_json(s.bucket)#>>'{}' AS starts_at,
           to_json(s.bucket_end)#>>'{}' AS ends_at,
           coalesce(a.wh, 0)::text AS wh
    FROM s LEFT JOIN a ON a.bucket = s.bucket
    ORDER BY s.bucket
  `.execute(db);
  const sums = rows.map((r) => {
    // The last bucket may end past year 9999 (no ISO text in JS): runs stop at `to` anyway.
    const end = Date.parse(r.ends_at);
    return {
      start: Date.parse(r.starts_at),
      end: Number.isNaN(end) ? toAt.getTime() : Math.min(end, toAt.getTime()),
      wh: Number(r.wh),
    };
  });
  const runs = await runsOverlapping(db, ids, fromAt, toAt);
  addRunsToBuckets(sums, runs, fromAt.getTime(), toAt.getTime());
  const gaps = await intervalGapsOverlapping(db, ids, fromAt, toAt, MAX_GAPS);
  let total = 0;
  const buckets = rows.map((r, i) => {
    const { start, wh } = sums[i] as { start: number; wh: number };
    total += wh;
    return {
      start: r.label,
      startsAt: new Date(start).toISOString(),
      wh,
      kwh: formatKwh(wattHours(wh)),
    };
  });
  return {
    timeZone: tz,
    granularity: q.granularity,
    from: fromAt.toISOString(),
    to: toAt.toISOString(),
    totalWh: total,
    totalKwh: formatKwh(wattHours(total)),
    buckets,
    roundedToHours,
    gaps,
  };
}

/** Energy of the meters in [from, to) (instants): hourly rows plus each run's overlap, O(1) a run. */
export async function consumptionBetween(
  db: Kysely<Schema>,
  meterIds: readonly number[],
  from: Date,
  to: Date,
): Promise<number> {
  const ids = meterIds.length ? [...meterIds] : [-1];
  const f = sql`${from.toISOString()}::timestamptz`;
  const t = sql`${to.toISOString()}::timestamptz`;
  const { rows } = await sql<{ wh: string }>`
    SELECT ((SELECT coalesce(sum(h.wh), 0) FROM consumption_hourly h
             WHERE h.meter_id = ANY(${ids}::int[]) AND h.hour >= ${f} AND h.hour < ${t})
          + (SELECT coalesce(sum(${runWhBetween('r', f, t)}), 0) FROM consumption_runs r
             WHERE r.meter_id = ANY(${ids}::int[]) AND r.start_hour < ${t} AND r.end_hour > ${f})
           )::text AS wh
  `.execute(db);
  return Number((rows[0] as { wh: string }).wh);
}

/**
 * Wh of one meter per UTC hour in [from, to), oldest first, hours without energy left out (runs
 * expanded inside the range only). At most MAX_BUCKETS hours: for a billing period, not a decade.
 */
export async function hourlyConsumption(
  db: Kysely<Schema>,
  meterId: number,
  from: Date,
  to: Date,
): Promise<Array<{ hour: Date; wh: number }>> {
  if ((to.getTime() - from.getTime()) / MIN_BUCKET_MS.hour > MAX_BUCKETS)
    throw new GridlinkError(
      'GL_VALIDATION',
      `range: more than ${MAX_BUCKETS} hours; ask for a shorter range`,
    );
  const f = sql`${from.toISOString()}::timestamptz`;
  const t = sql`${to.toISOString()}::timestamptz`;
  const { rows } = await sql<{ hour: string; wh: string }>`
    SELECT to_json(x.hour)#>>'{}' AS hour, sum(x.wh)::text AS wh
    FROM ${meterHours(sql`${meterId}::int`, f, t)} x
    GROUP BY x.hour ORDER BY x.hour
  `.execute(db);
  return rows.map((r) => ({ hour: new Date(r.hour), wh: Number(r.wh) }));
}
