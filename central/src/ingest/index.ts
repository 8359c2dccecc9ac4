export { MeterDirectory } from './meter-directory.js';
export { type BatchOutcome, storeBatch } from './store-batch.js';
export { TelemetryIngest, type TelemetryIngestOptions } from './telemetry-ingest.js';
