export {
  MAX_UNIT_ID,
  type ResolvedSimulatorOptions,
  resolveSimulatorOptions,
  type SimulatorOptions,
} from './options.js';
export {
  type SimulatedDevice,
  type Simulator,
  type SimulatorDeviceInfo,
  startSimulator,
} from './start-simulator.js';
