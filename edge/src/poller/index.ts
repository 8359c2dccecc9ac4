export { type Clock, DevicePoller, type DevicePollerOptions } from './device-poller.js';
export { type PolledReading, readDevice } from './read-device.js';
