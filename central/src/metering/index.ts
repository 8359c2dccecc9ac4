export { meterHours, runWhBetween } from './consumption-sql.js';
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
  hourlyConsumption,
  type Period,
  periodBounds,
  periods,
} from './history.js';
export {
  ENERGY_INTERVAL,
  type IntervalSample,
  type IntervalStep,
  intervalHour,
  intervalMwh,
  intervalToHourly,
} from './interval-amounts.js';
export {
  DEFAULT_EXCESS_READING_MWH,
  DEFAULT_INTERVAL_GAP_MS,
  type IntervalGap,
  type IntervalRollupResult,
  intervalGapsOverlapping,
  type MeteringSettings,
  rollupIntervals,
  setMeteringSettings,
} from './interval-rollup.js';
export {
  HOUR_MS,
  type RegisterSample,
  type RegisterStep,
  RUN_MIN_HOURS,
  registerToHourly,
} from './intervals.js';
export { findMeter, listMeters, type MeterView, meterIdsOfCustomer } from './meters.js';
export { decodeCursor, type ReadingsPage, type ReadingView, readingsInRange } from './readings.js';
export {
  ENERGY_REGISTER,
  ROLLUP_HORIZON_MS,
  type RollupOptions,
  type RollupResult,
  rebuildRollup,
  rollupMeter,
  rollupMeters,
} from './rollup.js';
export { type HourBlock, spreadOverHours } from './spread-interval.js';
