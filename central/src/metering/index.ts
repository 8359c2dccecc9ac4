export { findMeter, listMeters, type MeterView } from './meters.js';
export { decodeCursor, type ReadingsPage, type ReadingView, readingsInRange } from './readings.js';
