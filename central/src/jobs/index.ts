export { type CronSpec, isCronExpression, nextFire, parseCron } from './cron.js';
export {
  alarmSweepJob,
  billingJob,
  DEFAULT_CRON,
  DEFAULT_JOBS_RUNTIME,
  type Job,
  type JobContext,
  type Jobs,
  type JobsOptions,
  type JobsRuntime,
  pruneJob,
  rollupJob,
  startJobs,
} from './jobs.js';
export {
  claimSlot,
  failLease,
  finishLease,
  type Lease,
  pruneLedger,
  pruneTokens,
  renewLease,
  takeOverDue,
} from './ledger.js';
export { clockScheduler, type Scheduler } from './scheduler.js';
