export {
  DEFAULT_PARTITION,
  ensurePartitions,
  listMonthPartitions,
  type MonthPartition,
  monthPartition,
  monthStart,
  type PartitionsResult,
} from './partitions.js';
export {
  DEFAULT_PARTITIONS,
  DEFAULT_PARTITIONS_CRON,
  type PartitionsPolicy,
  partitionsJob,
} from './partitions-job.js';
export {
  applyRetention,
  DEFAULT_RETENTION,
  type RetentionPolicy,
  type RetentionResult,
} from './retention.js';
export { DEFAULT_RETENTION_CRON, retentionJob } from './retention-job.js';
