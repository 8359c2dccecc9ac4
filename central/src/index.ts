export { hashSecret, mintToken, type Role } from './auth/index.js';
/** Pix BR Code checks, for tests and tools that read receipts and invoices. */
export { decodePix, hasValidPixCrc } from './billing/index.js';
export {
  listMqttCredentials,
  mqttAuthenticator,
  revokeMqttCredential,
  startEmbeddedBroker,
  upsertMqttCredential,
} from './broker/index.js';
export {
  type Central,
  type StartDecorators,
  type StartOptions,
  startCentral,
} from './central.js';
export { type RunCentralOptions, runCentral } from './cli/index.js';
export { type CentralConfig, type CentralConfigInput, parseCentralConfig } from './config/index.js';
export { upsertEdgeCredential, verifyEdgeCredential } from './edges/index.js';
export {
  carSpecFor,
  greatCircleRoad,
  type PlannerStation,
  planTrip,
  stationIndexFor,
  type TripQuery,
} from './ev/index.js';
export {
  copyRows,
  decodeTelemetry,
  jsonbDocument,
  MeterDirectory,
  storeBatch,
  toDecodedBatch,
} from './ingest/index.js';
export { type CentralMetrics, createCentralMetrics } from './metrics/index.js';
export type { BrokerLink } from './mqtt-router/index.js';
export { type Database, openDatabase, type StorageOptions } from './storage/index.js';
