import { GridlinkError, isGridlinkError } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import { ownedBy, ownerFilter, type Principal } from '../../access/index.js';
import { consumptionBetween, hourlyConsumption, rollupMeter } from '../../metering/index.js';
import { formatKwh, wattHours } from '../../money/index.js';
import type { Schema } from '../../storage/index.js';
import { encodePix } from '../pix/index.js';
import {
  addDays,
  type BillingInput,
  computeInvoice,
  localTime,
  type TariffInput,
} from '../tariffs/index.js';

/** Who gets paid: the Pix key and the merchant fields of the BR Code. No defaults: configure. */
export interface PixSettings {
  key: string;
  merchantName: string;
  merchantCity: string;
}

export interface CloseOptions {
  /** `YYYY-MM`: the calendar month, in each customer's zone. */
  period: string;
  now: Date;
  pix?: PixSettings;
  /**
   * The due date is day `dueDays` counting from the later of the period's end (the first day after
   * it) and the issue date, each counted as day 1 (docs/BILLING.md, "Due date"). Default 10.
   */
  dueDays?: number;
  /** Only these meters (default: every meter bound to a customer). */
  meterIds?: readonly number[];
  /** Checked between meters: an aborted close stops after the invoice in progress commits. */
  signal?: AbortSignal;
}

export interface CloseResult {
  period: string;
  issued: number[];
  existing: number;
  skipped: Array<{ meterId: number; reason: string }>;
}

const PERIOD_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function monthPeriod(period: string): { start: string; end: string } {
  const m = PERIOD_RE.exec(period);
  if (!m) throw new GridlinkError('GL_VALIDATION', 'period: expected YYYY-MM');
  const [y, mo] = [Number(m[1]), Number(m[2])];
  const next = mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
  return { start: `${period}-01`, end: `${next}-01` };
}

/** The month before the one `now` falls in, in `zone` (the period a monthly run closes). */
export function previousMonth(now: Date, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
  }).formatToParts(now);
  const y = Number(parts.find((p) => p.type === 'year')?.value);
  const m = Number(parts.find((p) => p.type === 'month')?.value);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

async function localInstant(db: Kysely<Schema>, date: string, zone: string): Promise<Date> {
  const { rows } = await sql<{ at: string }>`
    SELECT to_json(${date}::timestamp AT TIME ZONE ${zone})#>>'{}' AS at`.execute(db);
  return new Date((rows[0] as { at: string }).at);
}

/**
 * Closes one billing period: an invoice per meter bound to a customer with a tariff, priced by
 * `computeInvoice` on the consumption from the hourly rollups (rolled up first). Idempotent per
 * (meter, period): an existing invoice is never recomputed, a concurrent run loses the unique
 * constraint race quietly, so the job is safe to re-run and to run on several instances.
 * A period that has not ended yet in a customer's zone is skipped for that customer.
 */
export async function closeBillingPeriod(
  db: Kysely<Schema>,
  options: CloseOptions,
): Promise<CloseResult> {
  const { start, end } = monthPeriod(options.period);
  const result: CloseResult = { period: options.period, issued: [], existing: 0, skipped: [] };
  let q = db
    .selectFrom('meters')
    .innerJoin('customers', 'customers.id', 'meters.customer_id')
    .select([
      'meters.id as meter_id',
      'customers.id as customer_id',
      'customers.time_zone',
      'customers.connection',
      'customers.tariff_class',
      'customers.tariff',
    ])
    .orderBy('meters.id');
  if (options.meterIds)
    q = q.where('meters.id', 'in', options.meterIds.length ? options.meterIds : [-1]);
  const meters = await q.execute();
  const existing = new Set(
    (
      await db.selectFrom('invoices').select('meter_id').where('period_start', '=', start).execute()
    ).map((r) => r.meter_id),
  );

  for (const m of meters) {
    options.signal?.throwIfAborted();
    if (existing.has(m.meter_id)) {
      result.existing += 1;
      continue;
    }
    const skip = (reason: string) => result.skipped.push({ meterId: m.meter_id, reason });
    if (!m.tariff) {
      skip('no-tariff');
      continue;
    }
    const from = await localInstant(db, start, m.time_zone);
    const to = await localInstant(db, end, m.time_zone);
    if (to > options.now) {
      skip('period-open');
      continue;
    }
    // On the close's clock: the rollup horizon is `now` + 1 h, not the wall clock's.
    await rollupMeter(db, m.meter_id, { now: options.now });
    const tariff = m.tariff as TariffInput;
    let consumption: BillingInput['consumption'];
    if (tariff.energy?.model === 'time-of-use') {
      const hours = await hourlyConsumption(db, m.meter_id, from, to);
      consumption = {
        kind: 'hourly',
        samples: hours.map((h) => ({ start: h.hour, kwh: formatKwh(wattHours(h.wh)) })),
      };
    } else {
      const wh = await consumptionBetween(db, [m.meter_id], from, to);
      consumption = { kind: 'total', kwh: formatKwh(wattHours(wh)) };
    }
    let invoice: ReturnType<typeof computeInvoice>;
    try {
      invoice = computeInvoice({
        period: { start, end },
        timeZone: m.time_zone,
        connection: m.connection as 'single-phase',
        tariffClass: m.tariff_class,
        consumption,
        tariff,
      });
    } catch (err) {
      if (!isGridlinkError(err)) throw err;
      skip(`tariff: ${(err.details as { reason?: string } | undefined)?.reason ?? err.message}`);
      continue;
    }
    const issueDate = localTime(options.now, m.time_zone).date;
    let id: number | undefined;
    try {
      id = await db.transaction().execute(async (trx) => {
        // The number first: its series row is locked until commit, so a concurrent close waits
        // and a rolled-back one (lost race, failure) gives its number back. Gapless per series.
        const number = await allocateInvoiceNumber(trx, issueDate.slice(0, 4));
        const row = await trx
          .insertInto('invoices')
          .values({
            meter_id: m.meter_id,
            customer_id: m.customer_id,
            period_start: start,
            period_end: end,
            time_zone: m.time_zone,
            tariff_id: invoice.tariffId,
            consumption_wh: invoice.consumptionWh,
            billed_wh: invoice.billedWh,
            lines: JSON.stringify(invoice.lines),
            totals: JSON.stringify(invoice.totals),
            total_centavos: invoice.totals.total,
            due_date: dueDate(end, issueDate, options.dueDays ?? 10),
            issued_at: options.now,
            number,
          })
          .onConflict((oc) => oc.columns(['meter_id', 'period_start']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!row) throw ALREADY_ISSUED;
        if (options.pix) {
          const payload = encodePix({
            key: options.pix.key,
            merchantName: options.pix.merchantName,
            merchantCity: options.pix.merchantCity,
            amount: invoice.totals.total > 0 ? invoice.totals.total : undefined,
            txid: pixTxid(row.id),
          });
          await trx
            .updateTable('invoices')
            .set({ pix_payload: payload })
            .where('id', '=', row.id)
            .execute();
        }
        return row.id;
      });
    } catch (err) {
      if (err !== ALREADY_ISSUED) throw err;
    }
    if (id === undefined) result.existing += 1;
    else result.issued.push(id);
  }
  return result;
}

/** Thrown inside a close's transaction to roll back its number when the invoice already exists. */
const ALREADY_ISSUED = Symbol('already issued');

/**
 * Day `dueDays` counting from the later of `end` (the first day after the period) and the issue
 * date, each counted as day 1: closed on time (on `end`), the due date is `end + dueDays − 1`
 * as it always was; closed late, the customer still gets `dueDays` days from the issue date.
 */
export function dueDate(end: string, issueDate: string, dueDays: number): string {
  return addDays(issueDate > end ? issueDate : end, dueDays - 1);
}

/** `2026-000001`: the next number of `series` (the issue year), in the caller's transaction. */
export async function allocateInvoiceNumber(trx: Kysely<Schema>, series: string): Promise<string> {
  const row = await trx
    .insertInto('invoice_series')
    .values({ series, last_number: 1 })
    .onConflict((oc) =>
      oc.column('series').doUpdateSet({ last_number: sql`invoice_series.last_number + 1` }),
    )
    .returning('last_number')
    .executeTakeFirstOrThrow();
  return `${series}-${String(row.last_number).padStart(6, '0')}`;
}

/** Pix 62.05: `GLINV` + the invoice id, zero-padded (alphanumeric, ≤ 25). */
export function pixTxid(invoiceId: number): string {
  return `GLINV${String(invoiceId).padStart(10, '0')}`;
}

export interface InvoiceView {
  id: number;
  /** The fiscal number (`2026-000001`, gapless per year); older invoices: their id. */
  number: string;
  meterId: number;
  customerId: number;
  period: { start: string; end: string; timeZone: string };
  tariffId: string;
  consumptionKwh: string;
  billedKwh: string;
  lines: unknown[];
  totals: Record<string, number>;
  totalCentavos: number;
  dueDate: string;
  pixPayload: string | null;
  status: string;
  issuedAt: string;
}

/** The invoices `who` may see (access/ownerFilter): staff all, a customer its own. */
function scoped(db: Kysely<Schema>, who: Principal) {
  const scope = ownerFilter(who, 'invoice');
  return db
    .selectFrom('invoices')
    .select([
      'id',
      'number',
      'meter_id',
      'customer_id',
      sql<string>`period_start::text`.as('period_start'),
      sql<string>`period_end::text`.as('period_end'),
      'time_zone',
      'tariff_id',
      'consumption_wh',
      'billed_wh',
      'lines',
      'totals',
      'total_centavos',
      sql<string>`due_date::text`.as('due_date'),
      'pix_payload',
      'status',
      'issued_at',
    ])
    .where((eb) => ownedBy(eb, scope, 'customer_id'));
}

type Row = Awaited<ReturnType<ReturnType<typeof scoped>['executeTakeFirstOrThrow']>>;

function view(r: Row): InvoiceView {
  return {
    id: r.id,
    number: r.number ?? String(r.id),
    meterId: r.meter_id,
    customerId: r.customer_id,
    period: { start: r.period_start, end: r.period_end, timeZone: r.time_zone },
    tariffId: r.tariff_id,
    consumptionKwh: formatKwh(wattHours(Number(r.consumption_wh))),
    billedKwh: formatKwh(wattHours(Number(r.billed_wh))),
    lines: r.lines as unknown[],
    totals: r.totals as Record<string, number>,
    totalCentavos: Number(r.total_centavos),
    dueDate: r.due_date,
    pixPayload: r.pix_payload,
    status: r.status,
    issuedAt: new Date(r.issued_at).toISOString(),
  };
}

export interface InvoiceFilter {
  meterId?: number;
  customerId?: number;
  period?: string;
  status?: string;
}

/** Newest first, keyset-paged by id. */
export async function listInvoices(
  db: Kysely<Schema>,
  who: Principal,
  filter: InvoiceFilter,
  page: { limit: number; before?: number },
) {
  let q = scoped(db, who)
    .orderBy('id', 'desc')
    .limit(page.limit + 1);
  if (page.before !== undefined) q = q.where('id', '<', page.before);
  if (filter.meterId !== undefined) q = q.where('meter_id', '=', filter.meterId);
  if (filter.customerId !== undefined) q = q.where('customer_id', '=', filter.customerId);
  if (filter.period !== undefined)
    q = q.where('period_start', '=', monthPeriod(filter.period).start);
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  const rows = await q.execute();
  const items = rows.slice(0, page.limit).map(view);
  return { items, next: rows.length > page.limit ? String(items.at(-1)?.id) : null };
}

export async function findInvoice(
  db: Kysely<Schema>,
  who: Principal,
  id: number,
): Promise<InvoiceView | undefined> {
  const row = await scoped(db, who).where('id', '=', id).executeTakeFirst();
  return row ? view(row) : undefined;
}
