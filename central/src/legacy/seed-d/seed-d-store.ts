import { type Kysely, sql } from 'kysely';
import { derivedDeviceId } from '../../provisioning/index.js';
import type { Schema } from '../../storage/index.js';
import { INTERVAL_VALUE } from './manual-readings.js';

/**
 * The few reads the terminal needs that no domain module offers by these keys: a customer by its
 * CPF, a customer's seed D meters by number, and sums and lists of interval readings. Read-only.
 */

export interface SeedDCustomer {
  id: number;
  timeZone: string;
}

/** The customer whose document is this CPF (digits only). */
export async function customerByCpf(
  db: Kysely<Schema>,
  cpf: string,
): Promise<SeedDCustomer | undefined> {
  const row = await db
    .selectFrom('customers')
    .select(['id', 'time_zone'])
    .where('document', '=', cpf)
    .where('document_kind', '=', 'cpf')
    .executeTakeFirst();
  return row ? { id: row.id, timeZone: row.time_zone } : undefined;
}

/** The device id of seed D meter `n` of `cpf` on its edge (numbers restart per customer). */
export const seedDDeviceId = (cpf: string, n: number) =>
  derivedDeviceId({ driver: 'udp-meter', meterId: String(n), cpf });

/** The customer's seed D meters on `edgeId`: number → meter row id, by number. */
export async function seedDMeters(
  db: Kysely<Schema>,
  edgeId: string,
  customerId: number,
  cpf: string,
): Promise<Map<number, number>> {
  const prefix = seedDDeviceId(cpf, 0).slice(0, -1); // `d-{cpf}-`
  const rows = await db
    .selectFrom('meters')
    .select(['id', 'device_id'])
    .where('edge_id', '=', edgeId)
    .where('customer_id', '=', customerId)
    .execute();
  const out = new Map<number, number>();
  for (const r of rows) {
    if (!r.device_id.startsWith(prefix)) continue;
    const n = r.device_id.slice(prefix.length);
    if (/^[1-9]\d{0,8}$/.test(n)) out.set(Number(n), r.id);
  }
  return new Map([...out].sort(([a], [b]) => a - b));
}

const value = sql<string>`("values"->>${INTERVAL_VALUE})`;

/**
 * The interval kWh of the meters' readings in [from, to): the exact decimal sum as text, the
 * count, and the largest single reading. Readings without the interval value are not counted.
 */
export async function intervalTotals(
  db: Kysely<Schema>,
  meterIds: readonly number[],
  from: Date,
  to: Date,
): Promise<{ sumKwh: string; count: number; maxKwh: string | null }> {
  if (meterIds.length === 0) return { sumKwh: '0', count: 0, maxKwh: null };
  const row = await db
    .selectFrom('readings')
    .select([
      sql<string>`coalesce(sum(${value}::numeric), 0)::text`.as('sum'),
      sql<string>`count(${value})::text`.as('n'),
      sql<string | null>`max(${value}::numeric)::text`.as('max'),
    ])
    .where('meter_id', 'in', [...meterIds])
    .where('ts', '>=', from)
    .where('ts', '<', to)
    .where(value, 'is not', null)
    .executeTakeFirstOrThrow();
  return { sumKwh: row.sum, count: Number(row.n), maxKwh: row.max };
}

/** The interval readings of the meters in [from, to), oldest first, at most `limit`. */
export async function intervalReadings(
  db: Kysely<Schema>,
  meterIds: readonly number[],
  from: Date,
  to: Date,
  limit: number,
): Promise<Array<{ ts: Date; kwh: number }>> {
  if (meterIds.length === 0) return [];
  const rows = await db
    .selectFrom('readings')
    .select(['ts', sql<number>`(${value})::float8`.as('kwh')])
    .where('meter_id', 'in', [...meterIds])
    .where('ts', '>=', from)
    .where('ts', '<', to)
    .where(value, 'is not', null)
    .orderBy('ts')
    .orderBy('stream_id')
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ts: new Date(r.ts), kwh: Number(r.kwh) }));
}

/** Alarm types that mean "excess consumption" to the terminal's `/getAlarme`. */
export const EXCESS_ALARM_TYPES = ['consumption.excess', 'consumption.limit'] as const;

/** True when the customer has an active excess-consumption alarm. */
export async function hasActiveExcess(db: Kysely<Schema>, customerId: number): Promise<boolean> {
  const row = await db
    .selectFrom('alarms')
    .select('id')
    .where('customer_id', '=', customerId)
    .where('type', 'in', [...EXCESS_ALARM_TYPES])
    .where('state', 'in', ['ACTIVE_UNACK', 'ACTIVE_ACK'])
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
