export {
  applyRetention,
  DEFAULT_RETENTION,
  type RetentionPolicy,
  type RetentionResult,
} from './retention.js';
export { DEFAULT_RETENTION_CRON, retentionJob } from './retention-job.js';
