export { type CheckOptions, check } from './check.js';
export { canonicalValues, formatTotals, reconcile } from './reconcile.js';
export { openCentralStore, readCentral, readEdgeLog, readTruth } from './sources.js';
export type {
  CentralState,
  EdgeLogState,
  GroundTruth,
  ReconcileReport,
  ReconcileTotals,
  StoredGap,
  StoredQuarantine,
  StoredReading,
} from './types.js';
