export {
  type DeviceErrorCounts,
  DevicePoller,
  type DevicePollerOptions,
  type PollSettings,
} from './device-poller.js';
export { type PolledReading, readDevice } from './read-device.js';
