export { type CommandRequest, checkCommand } from './command-check.js';
export {
  type CommandState,
  type CommandView,
  commandStates,
  expireCommands,
  getCommand,
  listCommands,
} from './command-store.js';
export {
  CONTROL_FILTERS,
  type ControlLink,
  ControlPlane,
  type ControlPlaneOptions,
} from './control-plane.js';
export {
  type AppliedView,
  type ConfigView,
  configView,
  type DesiredView,
} from './desired-config-store.js';
export { type KnownDevice, knownDevices } from './edge-devices.js';
export { commandExpiryJob } from './expiry-job.js';
