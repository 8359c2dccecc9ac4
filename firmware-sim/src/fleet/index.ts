export {
  MAX_UNIT_ID,
  type ResolvedSimulatorOptions,
  resolveSimulatorOptions,
  type SimulatorOptions,
} from './options.js';
export { parseScenario, parseScenarioYaml, type Scenario } from './scenario.js';
export { type Fleet, type FleetOptions, seededCpf, startFleet } from './start-fleet.js';
export {
  type SimulatedDevice,
  type Simulator,
  type SimulatorDeviceInfo,
  startSimulator,
} from './start-simulator.js';
