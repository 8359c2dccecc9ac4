import type { Kysely } from 'kysely';
import type { Schema } from '../../storage/index.js';
import { type CloseOptions, type CloseResult, closeBillingPeriod } from './store.js';

export interface CatchUpOptions extends Omit<CloseOptions, 'period' | 'meterIds'> {
  /** The last period to close (`YYYY-MM`): the month before the scheduled instant. */
  upTo: string;
}

export interface CatchUpResult {
  closed: CloseResult[];
  /** Periods left due: a customer's zone had not ended the month yet (retried next run). */
  pending: string[];
}

/** `2024-12` → `2025-01`. */
export function nextPeriod(period: string): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/**
 * Closes every billing period that is due and not closed, oldest first, up to `upTo`. A period
 * becomes due when a run reaches it: every month after the last closed one (a missed or failed
 * run leaves its month due, so the next run bills it first), or only `upTo` on a fresh database.
 * Each period is closed by `closeBillingPeriod` (one transaction per invoice, idempotent per
 * meter and period) and marked closed only when no customer's month was still open.
 */
export async function closeDuePeriods(
  db: Kysely<Schema>,
  options: CatchUpOptions,
): Promise<CatchUpResult> {
  const last = await db
    .selectFrom('billing_closes')
    .select('period')
    .where('closed_at', 'is not', null)
    .orderBy('period', 'desc')
    .limit(1)
    .executeTakeFirst();
  const due: string[] = [];
  for (let p = last ? nextPeriod(last.period) : options.upTo; p <= options.upTo; p = nextPeriod(p))
    due.push(p);
  if (due.length)
    await db
      .insertInto('billing_closes')
      .values(due.map((period) => ({ period, due_at: options.now })))
      .onConflict((oc) => oc.column('period').doNothing())
      .execute();
  const open = await db
    .selectFrom('billing_closes')
    .select('period')
    .where('closed_at', 'is', null)
    .where('period', '<=', options.upTo)
    .orderBy('period')
    .execute();
  const out: CatchUpResult = { closed: [], pending: [] };
  for (const { period } of open) {
    options.signal?.throwIfAborted();
    const result = await closeBillingPeriod(db, { ...options, period });
    out.closed.push(result);
    if (result.skipped.some((s) => s.reason === 'period-open')) {
      out.pending.push(period);
      continue;
    }
    await db
      .updateTable('billing_closes')
      .set({
        closed_at: options.now,
        result: JSON.stringify({
          issued: result.issued.length,
          existing: result.existing,
          skipped: result.skipped.length,
        }),
      })
      .where('period', '=', period)
      .where('closed_at', 'is', null)
      .execute();
  }
  return out;
}
