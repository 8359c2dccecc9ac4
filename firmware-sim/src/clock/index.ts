export { type Clock, createManualClock, type ManualClock, systemClock } from './clock.js';
