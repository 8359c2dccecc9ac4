import { type Kysely, sql } from 'kysely';
import type { Schema } from '../storage/index.js';

/**
 * Adds Wh to a meter's `consumption_hourly` rows (one statement, in hour order). Callers hold the
 * meter's `meter_rollup_state` row lock, so one meter's rows are written by one rollup at a time.
 */
export async function addHours(trx: Kysely<Schema>, meterId: number, hours: Map<number, number>) {
  if (hours.size === 0) return;
  const sorted = [...hours].sort((a, b) => a[0] - b[0]);
  const starts = sorted.map(([h]) => new Date(h).toISOString());
  const wh = sorted.map(([, v]) => v);
  await sql`
    INSERT INTO consumption_hourly (meter_id, hour, wh)
    SELECT ${meterId}, u.hour, u.wh
    FROM unnest(${starts}::timestamptz[], ${wh}::bigint[]) AS u(hour, wh)
    ON CONFLICT (meter_id, hour) DO UPDATE SET wh = consumption_hourly.wh + excluded.wh
  `.execute(trx);
}
