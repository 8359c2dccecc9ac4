/**
 * 10,000 customers, each with one meter and a month of hourly rollups, generated in the database:
 * customers and meters from arrays (unnest), `consumption_hourly` with generate_series (a daily
 * cycle around a per-meter mean), and each meter's rollup watermark at the end of the month, as
 * the rollup job leaves it. Nine in ten customers have a conventional B1 tariff (flat energy,
 * bandeira amarela from the 21st, ICMS/PIS/COFINS por dentro, CIP by consumption band, the
 * minimum-availability charge); one in ten has Tarifa Branca (time-of-use, hourly samples).
 */
import type { Central } from '@gridlink/central';
import { sql } from 'kysely';
import { nthCpf } from './history-store.js';

export const EDGE_ID = 'bench-invoicing';
/** October 2026 in America/Bahia (UTC−3): [local 1 Oct, local 1 Nov). */
export const PERIOD = '2026-10';
export const MONTH_START = '2026-10-01T03:00:00Z';
export const MONTH_END = '2026-11-01T03:00:00Z';
/** When cron closes October: 1 Nov, 03:00 local. */
export const CLOSE_AT = new Date('2026-11-01T06:00:00Z');

const taxes = [{ from: '2026-01-01', icms: '0.205', pis: '0.0096', cofins: '0.0443' }];
const bandeiras = {
  pricePer100Kwh: { amarela: '1.885', vermelha1: '4.463', vermelha2: '7.877' },
  schedule: [
    { flag: 'verde', from: '2026-09-01', to: '2026-10-21' },
    { flag: 'amarela', from: '2026-10-21', to: '2026-12-01' },
  ],
};
export const B1 = {
  id: 'b1-residencial-2026',
  energy: { model: 'flat', pricePerKwh: '0.80532' },
  bandeiras,
  taxes,
  publicLighting: {
    kind: 'by-class',
    classes: {
      residencial: [
        { upToKwh: 100, amount: '4.50' },
        { upToKwh: 300, amount: '15.30' },
        { upToKwh: null, amount: '32.10' },
      ],
    },
  },
};
export const BRANCA = {
  id: 'b1-branca-2026',
  energy: {
    model: 'time-of-use',
    prices: { ponta: '1.52310', intermediario: '0.98120', foraDePonta: '0.62850' },
  },
  bandeiras,
  taxes,
  publicLighting: { kind: 'fixed', amount: '15.30' },
};

/** Customers 1..n with one bound meter each; returns the meter ids. */
export async function generateCustomers(central: Central, n: number): Promise<number[]> {
  const db = central.database.db;
  const docs = Array.from({ length: n }, (_, i) => nthCpf(i + 1));
  const names = docs.map((_, i) => `Cliente ${i + 1}`);
  const connections = docs.map((_, i) =>
    i % 10 < 7 ? 'single-phase' : i % 10 < 9 ? 'two-phase' : 'three-phase',
  );
  const tariffs = docs.map((_, i) => JSON.stringify(i % 10 === 9 ? BRANCA : B1));
  await sql`
    INSERT INTO customers (document, document_kind, name, connection, tariff)
    SELECT u.doc, 'cpf', u.name, u.conn, u.tariff::jsonb
    FROM unnest(${docs}::text[], ${names}::text[], ${connections}::text[], ${tariffs}::text[])
      WITH ORDINALITY AS u(doc, name, conn, tariff, k)
    ORDER BY u.k`.execute(db);
  const { rows } = await sql<{ id: number }>`
    INSERT INTO meters (edge_id, device_id, customer_id)
    SELECT ${EDGE_ID}, 'm' || lpad(c.id::text, 6, '0'), c.id FROM customers c ORDER BY c.id
    RETURNING id`.execute(db);
  return rows.map((r) => r.id);
}

/** A month of hourly Wh for every meter (mean 40–440 kWh a month, an evening peak). */
export async function generateRollups(central: Central, meterIds: readonly number[]) {
  const db = central.database.db;
  for (let i = 0; i < meterIds.length; i += 500) {
    const ids = meterIds.slice(i, i + 500);
    await sql`
      INSERT INTO consumption_hourly (meter_id, hour, wh)
      SELECT m.id, h, round((55 + (m.id * 7919) % 550)
               * (1 + 0.6 * sin(2 * pi() * (extract(epoch FROM h) / 3600 - 15) / 24)))::bigint
      FROM unnest(${ids}::int[]) AS m(id),
           generate_series(${MONTH_START}::timestamptz, ${MONTH_END}::timestamptz - interval '1 hour',
                           interval '1 hour') h`.execute(db);
  }
  await sql`
    INSERT INTO meter_rollup_state (meter_id, last_ts, last_wh)
    SELECT id, ${MONTH_END}::timestamptz, 0 FROM meters WHERE edge_id = ${EDGE_ID}`.execute(db);
  await sql`ANALYZE`.execute(db);
}
