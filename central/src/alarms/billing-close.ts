import type { Kysely } from 'kysely';
import type { Schema } from '../storage/index.js';
import { clearResolved, type Notify, raiseAlarm } from './store.js';

/** Raised when a billing close fails (docs/ALARMS.md); cleared by the next close that succeeds. */
export const BILLING_CLOSE_FAILED = 'billing.close-failed';
const SOURCE = 'job:billing.close-period';

export async function raiseBillingCloseFailed(
  db: Kysely<Schema>,
  details: { slot: string; attempts: number; error: string; code?: string },
  now: Date,
  notify: Notify = {},
): Promise<void> {
  await raiseAlarm(
    db,
    { source: SOURCE, type: BILLING_CLOSE_FAILED, severity: 'MAJOR', customerId: null, details },
    now,
    notify,
  );
}

export async function clearBillingCloseFailed(
  db: Kysely<Schema>,
  now: Date,
  notify: Notify = {},
): Promise<number> {
  return clearResolved(db, BILLING_CLOSE_FAILED, new Set(), now, notify);
}
