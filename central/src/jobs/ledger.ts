import { type Kysely, sql } from 'kysely';
import type { Schema } from '../storage/index.js';

/**
 * The job ledger (`job_runs`, docs/JOBS.md): one row per (job, slot) holding a lease. Every
 * transition is a single conditional statement, so instances sharing the database agree on who
 * runs a slot without locks held across a run:
 *
 *   (none) ──claim──► running ──finish──► done
 *                      │  ▲ └──fail / hand back──► failed ──retry due──┘
 *                      └──lease expired (owner died)──── take over ───┘
 *   failed or expired, with a later slot of the job ──► superseded
 */
export interface Lease {
  job: string;
  slot: string;
  attempts: number;
}

export async function claimSlot(
  db: Kysely<Schema>,
  job: string,
  slot: string,
  owner: string,
  now: Date,
  leaseMs: number,
): Promise<Lease | undefined> {
  const row = await db
    .insertInto('job_runs')
    .values({
      job,
      slot,
      started_at: now,
      status: 'running',
      owner,
      lease_until: new Date(now.getTime() + leaseMs),
      attempts: 1,
    })
    .onConflict((oc) => oc.columns(['job', 'slot']).doNothing())
    .returning(['job', 'slot', 'attempts'])
    .executeTakeFirst();
  return row;
}

/**
 * Slots of `jobs` that are due again: failed and past their backoff, or running on a lease that
 * expired (its instance died). Each is taken over by one conditional UPDATE (one instance wins).
 * One with a later slot of the same job is marked superseded instead: every job catches up on
 * earlier slots, so the later slot (done, or itself retried) covers it, and a job failing every
 * minute retries one slot, not one more each minute.
 */
export async function takeOverDue(
  db: Kysely<Schema>,
  jobs: readonly string[],
  owner: string,
  now: Date,
  leaseMs: number,
): Promise<Lease[]> {
  if (!jobs.length) return [];
  const due = await db
    .selectFrom('job_runs')
    .select(['job', 'slot'])
    .where('job', 'in', jobs)
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'failed'), eb('next_attempt_at', '<=', now)]),
        eb.and([eb('status', '=', 'running'), eb('lease_until', '<=', now)]),
      ]),
    )
    .orderBy('slot')
    .execute();
  const taken: Lease[] = [];
  for (const { job, slot } of due) {
    const stillDue = sql<boolean>`((status = 'failed' AND next_attempt_at <= ${now})
      OR (status = 'running' AND lease_until <= ${now}))`;
    const covered = await db
      .updateTable('job_runs')
      .set({ status: 'superseded', owner: null, lease_until: null })
      .where('job', '=', job)
      .where('slot', '=', slot)
      .where(stillDue)
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('job_runs as later')
            .select('later.slot')
            .where('later.job', '=', job)
            .where('later.slot', '>', slot),
        ),
      )
      .executeTakeFirst();
    if (Number(covered.numUpdatedRows) > 0) continue;
    const row = await db
      .updateTable('job_runs')
      .set({
        status: 'running',
        owner,
        lease_until: new Date(now.getTime() + leaseMs),
        started_at: now,
        finished_at: null,
        attempts: sql`attempts + 1`,
      })
      .where('job', '=', job)
      .where('slot', '=', slot)
      .where(stillDue)
      .returning(['job', 'slot', 'attempts'])
      .executeTakeFirst();
    if (row) taken.push(row);
  }
  return taken;
}

const mine = (lease: Lease, owner: string) => (db: Kysely<Schema>) =>
  db
    .updateTable('job_runs')
    .where('job', '=', lease.job)
    .where('slot', '=', lease.slot)
    .where('owner', '=', owner)
    .where('status', '=', 'running');

/** Extends a running lease; false when this instance no longer holds it. */
export async function renewLease(
  db: Kysely<Schema>,
  lease: Lease,
  owner: string,
  until: Date,
): Promise<boolean> {
  const r = await mine(lease, owner)(db).set({ lease_until: until }).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Done: earlier failed slots of the job are covered by this run (jobs catch up). */
export async function finishLease(
  db: Kysely<Schema>,
  lease: Lease,
  owner: string,
  now: Date,
  result: unknown,
): Promise<boolean> {
  const r = await mine(
    lease,
    owner,
  )(db)
    .set({
      status: 'done',
      finished_at: now,
      owner: null,
      lease_until: null,
      result: JSON.stringify(result ?? null),
    })
    .executeTakeFirst();
  await db
    .updateTable('job_runs')
    .set({ status: 'superseded' })
    .where('job', '=', lease.job)
    .where('slot', '<', lease.slot)
    .where('status', '=', 'failed')
    .execute();
  return Number(r.numUpdatedRows) > 0;
}

/** Failed (or handed back at shutdown): retried by any instance from `retryAt`. */
export async function failLease(
  db: Kysely<Schema>,
  lease: Lease,
  owner: string,
  now: Date,
  retryAt: Date,
  error: Record<string, unknown>,
): Promise<boolean> {
  const r = await mine(
    lease,
    owner,
  )(db)
    .set({
      status: 'failed',
      finished_at: now,
      owner: null,
      lease_until: null,
      next_attempt_at: retryAt,
      result: JSON.stringify(error),
    })
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Deletes finished ledger rows (done, superseded) started before `before`; failed and running
 * rows are kept whatever their age (a retry still owes them).
 */
export async function pruneLedger(db: Kysely<Schema>, before: Date): Promise<number> {
  const r = await db
    .deleteFrom('job_runs')
    .where('status', 'in', ['done', 'superseded'])
    .where('started_at', '<', before)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Deletes API tokens expired or revoked before `before` (no longer usable, kept for audit till then). */
export async function pruneTokens(db: Kysely<Schema>, before: Date): Promise<number> {
  const r = await db
    .deleteFrom('api_tokens')
    .where((eb) => eb.or([eb('expires_at', '<', before), eb('revoked_at', '<', before)]))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
