import type { Kysely } from 'kysely';
import type { Schema } from '../storage/index.js';
import { applyRetention, type RetentionPolicy } from './retention.js';

/** Default: every day at 04:30, clear of the 03:00 billing close and the 5-minute rollups' load. */
export const DEFAULT_RETENTION_CRON = '30 4 * * *';

/**
 * The retention sweep (config `retention`) as a job for the central's scheduler; the scheduled
 * instant is the clock, so every instance computes the same cutoff for a slot.
 */
export function retentionJob(db: Kysely<Schema>, policy: RetentionPolicy & { cron?: string }) {
  return {
    name: 'lifecycle.retention',
    cron: policy.cron ?? DEFAULT_RETENTION_CRON,
    run: (at: Date) => applyRetention(db, policy, at),
  };
}
