import type { Kysely } from 'kysely';
import type { Schema } from '../storage/index.js';
import { ensurePartitions } from './partitions.js';

/** Default: every day at 04:15, before the retention sweep (04:30) and clear of the 03:00 close. */
export const DEFAULT_PARTITIONS_CRON = '15 4 * * *';

export interface PartitionsPolicy {
  /** Months made ahead of the current one (UTC): ingest never has to fall into the default. */
  monthsAhead: number;
  cron?: string;
}

export const DEFAULT_PARTITIONS: Readonly<Required<PartitionsPolicy>> = Object.freeze({
  monthsAhead: 3,
  cron: DEFAULT_PARTITIONS_CRON,
});

/**
 * The partition maintenance (config `retention.partitions`) as a job for the central's
 * scheduler: months made ahead from the scheduled instant, so every instance and every retry of
 * a slot make the same ones; leased like every job, so one instance does it.
 */
export function partitionsJob(db: Kysely<Schema>, policy: PartitionsPolicy) {
  return {
    name: 'lifecycle.partitions',
    cron: policy.cron ?? DEFAULT_PARTITIONS_CRON,
    run: (at: Date) => ensurePartitions(db, at, policy.monthsAhead),
  };
}
