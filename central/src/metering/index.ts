export {
  consumptionBetween,
  consumptionHistory,
  defaultGranularity,
  type Granularity,
  granularities,
  type History,
  type HistoryBucket,
  type HistoryQuery,
  type HistoryRange,
  type Period,
  periodBounds,
  periods,
} from './history.js';
export { HOUR_MS, type RegisterSample, type RegisterStep, registerToHourly } from './intervals.js';
export { findMeter, listMeters, type MeterView } from './meters.js';
export { decodeCursor, type ReadingsPage, type ReadingView, readingsInRange } from './readings.js';
export {
  ENERGY_REGISTER,
  type RollupOptions,
  type RollupResult,
  rebuildRollup,
  rollupMeter,
  rollupMeters,
} from './rollup.js';
