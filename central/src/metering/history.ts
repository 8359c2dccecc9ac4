import { GridlinkError } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import { formatKwh, wattHours } from '../billing/money.js';
import type { Schema } from '../storage/index.js';

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
}

const LOCAL_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/;
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function bound(text: string, zone: string, name: string) {
  if (LOCAL_RE.test(text)) return sql`(${text}::timestamp AT TIME ZONE ${zone})`;
  if (INSTANT_RE.test(text)) return sql`${text}::timestamptz`;
  throw new GridlinkError(
    'GL_HTTP_VALIDATION',
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
 * (Postgres `AT TIME ZONE`, IANA rules, so DST and past offset changes are honoured). Empty
 * buckets are returned with 0.
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
  }
  if (!(fromAt < toAt)) throw new GridlinkError('GL_HTTP_VALIDATION', 'from: must be before to');
  if ((toAt.getTime() - fromAt.getTime()) / MIN_BUCKET_MS[q.granularity] > MAX_BUCKETS)
    throw new GridlinkError(
      'GL_HTTP_VALIDATION',
      `range: more than ${MAX_BUCKETS} ${q.granularity} buckets; use a coarser granularity`,
    );
  const from = sql`${fromAt.toISOString()}::timestamptz`;
  const to = sql`${toAt.toISOString()}::timestamptz`;
  const tz = q.timeZone;
  const g = sql.lit(q.granularity);
  const label = sql.lit(LABEL[q.granularity]);
  const ids = [...q.meterIds];
  // Hour buckets are UTC hours (a local hour may repeat or vanish at a DST change); coarser
  // buckets are local calendar units.
  const series =
    q.granularity === 'hour'
      ? sql`SELECT gs AS bucket FROM b, generate_series(
            date_trunc('hour', f AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', t - interval '1 microsecond',
            interval '1 hour') gs`
      : sql`SELECT gs AT TIME ZONE ${tz} AS bucket FROM b, generate_series(
            date_trunc(${g}, f AT TIME ZONE ${tz}), (t AT TIME ZONE ${tz}) - interval '1 microsecond',
            ${sql.raw(`interval '1 ${q.granularity}'`)}) gs`;
  const key =
    q.granularity === 'hour'
      ? sql`h.hour`
      : sql`date_trunc(${g}, h.hour AT TIME ZONE ${tz}) AT TIME ZONE ${tz}`;
  const { rows } = await sql<{ label: string; starts_at: string; wh: string }>`
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
           coalesce(a.wh, 0)::text AS wh
    FROM s LEFT JOIN a ON a.bucket = s.bucket
    ORDER BY s.bucket
  `.execute(db);
  let total = 0;
  const buckets = rows.map((r) => {
    const wh = Number(r.wh);
    total += wh;
    return {
      start: r.label,
      startsAt: new Date(r.starts_at).toISOString(),
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
  };
}

/** Energy of the meters in [from, to) (instants), from the hourly rollup. */
export async function consumptionBetween(
  db: Kysely<Schema>,
  meterIds: readonly number[],
  from: Date,
  to: Date,
): Promise<number> {
  const r = await db
    .selectFrom('consumption_hourly')
    .select(sql<string>`coalesce(sum(wh), 0)::text`.as('wh'))
    .where('meter_id', 'in', meterIds.length ? meterIds : [-1])
    .where('hour', '>=', from)
    .where('hour', '<', to)
    .executeTakeFirstOrThrow();
  return Number(r.wh);
}
