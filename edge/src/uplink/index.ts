export { isConnackRefusal } from './connack.js';
export { backoffDelay } from './reconnect-backoff.js';
export type {
  BatchLimits,
  GoBackReason,
  ReconnectBackoff,
  Timers,
  UplinkEvents,
  UplinkOptions,
  UplinkStats,
} from './types.js';
export { Uplink } from './uplink.js';
