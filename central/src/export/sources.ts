import type { Kysely } from 'kysely';
import type { Principal } from '../access/index.js';
import { type InvoiceFilter, listInvoices } from '../billing/index.js';
import { decodeCursor, readingsInRange } from '../metering/index.js';
import type { Schema } from '../storage/index.js';
import type { CsvValue } from './csv.js';

type Page = readonly (readonly CsvValue[])[];

/** Rows per page read from the database: the most an export holds in memory at once. */
export const EXPORT_PAGE_ROWS = 1000;

/**
 * Readings in "long" form, one record per (reading, register): a reading's registers vary by
 * device, so a fixed header needs no scan of the range first.
 */
export const READINGS_HEADER = ['ts', 'quality', 'register', 'value'] as const;

export async function* readingPages(
  db: Kysely<Schema>,
  meterId: number,
  range: { from: Date; to: Date; pageRows?: number },
): AsyncGenerator<Page> {
  let cursor: [string, number, string] | undefined;
  for (;;) {
    const page = await readingsInRange(db, meterId, {
      from: range.from,
      to: range.to,
      limit: range.pageRows ?? EXPORT_PAGE_ROWS,
      cursor,
    });
    yield page.items.flatMap((r) =>
      Object.keys(r.values)
        .sort()
        .map((register) => [r.ts, r.quality, register, r.values[register]]),
    );
    if (page.next === null) return;
    cursor = decodeCursor(page.next);
    if (!cursor) throw new Error('readingsInRange returned a cursor it cannot read');
  }
}

export const CONSUMPTION_HEADER = ['start', 'startsAt', 'wh', 'kwh', 'timeZone'] as const;

/** A consumption history (already bounded: one record per bucket) as one page. */
export async function* consumptionPages(history: {
  timeZone: string;
  buckets: ReadonlyArray<{ start: string; startsAt: string; wh: number; kwh: string }>;
}): AsyncGenerator<Page> {
  yield history.buckets.map((b) => [b.start, b.startsAt, b.wh, b.kwh, history.timeZone]);
}

export const INVOICES_HEADER = [
  'id',
  'number',
  'meterId',
  'customerId',
  'periodStart',
  'periodEnd',
  'timeZone',
  'tariffId',
  'consumptionKwh',
  'billedKwh',
  'totalCentavos',
  'dueDate',
  'status',
  'issuedAt',
  'pixPayload',
] as const;

interface InvoiceRowSource {
  id: number;
  number?: string;
  meterId: number;
  customerId: number;
  period: { start: string; end: string; timeZone: string };
  tariffId: string;
  consumptionKwh: string;
  billedKwh: string;
  totalCentavos: number;
  dueDate: string;
  status: string;
  issuedAt: string;
  pixPayload: string | null;
}

const invoiceRow = (i: InvoiceRowSource): CsvValue[] => [
  i.id,
  i.number ?? String(i.id),
  i.meterId,
  i.customerId,
  i.period.start,
  i.period.end,
  i.period.timeZone,
  i.tariffId,
  i.consumptionKwh,
  i.billedKwh,
  i.totalCentavos,
  i.dueDate,
  i.status,
  i.issuedAt,
  i.pixPayload,
];

/** The invoices `who` may see (the same query, scope and filter as the JSON list), newest first. */
export async function* invoicePages(
  db: Kysely<Schema>,
  who: Principal,
  filter: InvoiceFilter,
  pageRows = EXPORT_PAGE_ROWS,
): AsyncGenerator<Page> {
  let before: number | undefined;
  for (;;) {
    const page = await listInvoices(db, who, filter, { limit: pageRows, before });
    yield page.items.map(invoiceRow);
    if (page.next === null) return;
    before = Number(page.next);
  }
}
