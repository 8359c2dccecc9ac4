export { coalesceBatches } from './coalesce.js';
export { COPY_TARGET, copyRows, KnownIds, type LearnedIds } from './copy-rows.js';
export {
  type BatchRows,
  type DecodedBatch,
  decodeTelemetry,
  toDecodedBatch,
} from './decoded-batch.js';
export {
  aedesIngestLink,
  clientIngestLink,
  type IngestHandler,
  type IngestLink,
} from './ingest-link.js';
export { jsonbDocument } from './jsonb-document.js';
export { MeterDirectory } from './meter-directory.js';
export { type BatchOutcome, storeBatch } from './store-batch.js';
export {
  type IngestFaults,
  TelemetryIngest,
  type TelemetryIngestOptions,
} from './telemetry-ingest.js';
