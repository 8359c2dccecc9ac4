export {
  alarmSweepJob,
  billingJob,
  DEFAULT_CRON,
  type Job,
  type Jobs,
  type JobsOptions,
  rollupJob,
  startJobs,
} from './jobs.js';
export { type RunOutcome, runOnce } from './run-once.js';
export { isCronExpression, nodeCronScheduler, type Scheduler } from './scheduler.js';
