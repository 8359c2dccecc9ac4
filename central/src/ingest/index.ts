export { type BatchSeqs, type Decision, decide, type StorePlan } from './batch-decision.js';
export { coalesceBatches } from './coalesce.js';
export { COPY_TARGET, copyRows, KnownIds, type LearnedIds } from './copy-rows.js';
export {
  type BatchRows,
  type DecodedBatch,
  type DecodeOptions,
  decodeTelemetry,
  toDecodedBatch,
} from './decoded-batch.js';
export { jsonbDocument } from './jsonb-document.js';
export { MeterDirectory, type ReadingOwners } from './meter-directory.js';
export {
  edgeQuarantine,
  listQuarantined,
  type QuarantineView,
  type StreamFigures,
  streamFigures,
} from './quarantine-store.js';
export {
  MAX_RAW_BYTES,
  type QuarantinedReading,
  quarantinedReading,
} from './quarantined-reading.js';
export { type BatchOutcome, storeBatch } from './store-batch.js';
export type { ReadingCheck } from './telemetry-envelope.js';
export {
  type CommittedDeviceReadings,
  type CommittedListener,
  gapWaitMsOf,
  TelemetryIngest,
  type TelemetryIngestOptions,
} from './telemetry-ingest.js';
