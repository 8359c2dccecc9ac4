import type { Kysely } from 'kysely';
import type { Schema } from '../storage/index.js';

export type RunOutcome<T> = { ran: true; result: T } | { ran: false };

/**
 * Runs `task` once per (job, slot) across every central sharing the database: the first instance
 * to insert the ledger row runs it, the others see the row and skip. A failed run stays recorded
 * (with its error) so a slot is never retried by another instance; the next slot runs normally,
 * and jobs are idempotent, so the next run catches up.
 */
export async function runOnce<T>(
  db: Kysely<Schema>,
  job: string,
  slot: string,
  now: Date,
  task: () => Promise<T>,
): Promise<RunOutcome<T>> {
  const claimed = await db
    .insertInto('job_runs')
    .values({ job, slot, started_at: now })
    .onConflict((oc) => oc.columns(['job', 'slot']).doNothing())
    .returning('job')
    .executeTakeFirst();
  if (!claimed) return { ran: false };
  const finish = (result: unknown) =>
    db
      .updateTable('job_runs')
      .set({ finished_at: new Date(), result: JSON.stringify(result ?? null) })
      .where('job', '=', job)
      .where('slot', '=', slot)
      .execute();
  try {
    const result = await task();
    await finish(result);
    return { ran: true, result };
  } catch (err) {
    await finish({ error: (err as Error).message });
    throw err;
  }
}
